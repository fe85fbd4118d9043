from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.core import textmatch
from bot.engine.steps.base import End, StepBase, Transition, register

if TYPE_CHECKING:
    from bot.engine.context import Context

_AMOUNTS = {"en": 1, "et": 1, "a": 1, "an": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4, "four": 4}
_UNITS = {
    "dag": 1, "dage": 1, "day": 1, "days": 1, "d": 1,
    "uge": 7, "uger": 7, "week": 7, "weeks": 7, "u": 7, "w": 7,
    "maaned": 30, "maaneder": 30, "month": 30, "months": 30,
}
_LONGEST = timedelta(days=365)


def pause_length(text: str) -> timedelta | None:
    """"PAUSE 2 UGER" -> 14 days, "pause en måned" -> 30 days, "PAUSE" -> None (until FORTSÆT)."""
    words = textmatch.tokens(text)
    found = re.search(r"\b(\d{1,3}|" + "|".join(_AMOUNTS) + r")\s*(" + "|".join(_UNITS) + r")\b", " ".join(words))
    if not found:
        return None
    amount = int(found.group(1)) if found.group(1).isdigit() else _AMOUNTS[found.group(1)]
    return min(timedelta(days=amount * _UNITS[found.group(2)]), _LONGEST) if amount else None


@register("mood_checkins")
class MoodCheckinsStep(StepBase):
    """PAUSE [2 UGER], FORTSÆT and SLUT TJEK: the young person decides about check-ins alone,
    without leaving any community."""

    mood_checkins: Literal["pause", "resume", "stop"] = Field(description="What the keyword does")

    def enter(self, ctx: Context) -> Transition:
        if self.mood_checkins == "pause":
            length = pause_length(ctx.answer or "")
            if length is None:
                ctx.stop_checkins()
                ctx.say_system("mood_paused")
            else:
                until = ctx.now + length
                ctx.pause_checkins(until)
                ctx.say_system("mood_paused_until", until=until)
        elif self.mood_checkins == "resume":
            ctx.resume_checkins()
            ctx.say_system("mood_resumed")
        else:
            ctx.stop_checkins()
            ctx.say_system("mood_stopped")
        return End()
