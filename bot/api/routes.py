"""Every route of the API on one blueprint (importing a module is what registers its routes)."""
from bot.api import attendance, bookings, cases, communities, events, members, mood, notifications, openapi, reminders  # noqa: F401
from bot.api.routing import blueprint

__all__ = ["blueprint"]
