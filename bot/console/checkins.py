"""The console's checkins page (being written)."""
