"""What runs in the RQ workers and the scheduler: processing a contact's or a case's messages, sending
outbox rows to the providers, the reminder batches, the scheduler's pass, and the worker process
itself. Jobs are queued by name (a string), so nothing that queues one imports it."""
