"""Bookable times (the gym): free times, booking and cancelling, by SMS and by staff."""
