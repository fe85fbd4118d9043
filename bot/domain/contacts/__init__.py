"""The young people behind addresses: finding or creating a contact, which channel reaches them
(``write_first``), linking a phone number, and open conversations."""
