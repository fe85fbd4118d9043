"""The console's bookings page (being written)."""
