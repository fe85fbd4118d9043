"""The console's members page (being written)."""
