"""The RQ job for a batch of day-of reminders."""
from __future__ import annotations

from bot.domain.communities.reminders import write_batch
from bot.jobs.sending import send_in_order
from bot.runtime import get_runtime


def send_batch(reminder_ids: list[int]) -> int:
    """Write the batch to the outbox in one commit, then send the rows one by one, each marked
    ``submitting`` in a committed transaction before the provider is called (``bot.jobs.sending``)."""
    runtime = get_runtime()
    outbound_ids = write_batch(runtime, reminder_ids)
    send_in_order(runtime, outbound_ids)
    return len(outbound_ids)
