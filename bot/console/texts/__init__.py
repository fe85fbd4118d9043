"""Every word the console shows, in Danish (the default) and English (by the user's choice).

Each page keeps its words in a module of its own, Danish and English side by side, so a missing
translation is seen in review; a test checks that every key has both languages and the same
{placeholders}, and that no two modules use the same key.
"""
from __future__ import annotations

from bot.console.texts import attendance, bookings, checkins, common, communities, flows, members, today

LANGUAGES = ("da", "en")
PAGES = (common, today, members, communities, attendance, bookings, checkins, flows)


def _merged() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for page in PAGES:
        twice = merged.keys() & page.TEXTS.keys()
        if twice:
            raise RuntimeError(f"{page.__name__} uses keys another page uses: {sorted(twice)}")
        merged.update(page.TEXTS)
    return merged


TEXTS = _merged()


def text(key: str, language: str, **values: object) -> str:
    da, en = TEXTS[key]
    chosen = en if language == "en" else da
    return chosen.format(**values) if values else chosen
