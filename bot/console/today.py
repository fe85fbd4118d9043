"""The console's today page (being written)."""
