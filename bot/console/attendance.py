"""The console's attendance page (being written)."""
