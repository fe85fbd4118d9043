"""The console's flows page (being written)."""
