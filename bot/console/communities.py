"""The console's communities page (being written)."""
