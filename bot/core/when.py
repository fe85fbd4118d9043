"""A moment said the way people say it: "i dag kl. 16:00", "i morgen kl. 09:00", "torsdag kl. 16:00"."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date


def relative_time(moment: datetime, now: datetime, zone: ZoneInfo, language: str) -> str:
    """Today and tomorrow by name, the coming week by weekday, later ones with their date too."""
    da = language != "en"
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    at = f"kl. {local:%H:%M}" if da else f"at {local:%H:%M}"
    locale = "da" if da else "en"
    if local.date() == today:
        day = "i dag" if da else "today"
    elif local.date() == today + timedelta(days=1):
        day = "i morgen" if da else "tomorrow"
    elif local.date() < today + timedelta(days=7):
        day = format_date(local.date(), "EEEE", locale=locale)
        day = day if da else "on " + day
    else:
        day = format_date(local.date(), "EEEE d. MMM" if da else "EEEE d MMM", locale=locale)
        day = day if da else "on " + day
    return f"{day} {at}"
