from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.core import textmatch
from bot.engine.localized import Text
from bot.engine.steps.base import StepBase, Transition, Wait, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context

REPLY_KINDS = ("confirmed", "late", "declined", "unsure")


@register("attendance")
class AttendanceStep(StepBase):
    """Wait for replies to a day-of reminder until the event is over.

    Yes, late, no and maybe are recorded and answered; anything else goes to staff, so a young
    person who writes "can someone call me?" reaches a person, not a loop.
    """

    waits = True

    attendance: str = Field(description="The community the reminder was for")
    replies: dict[str, Text] = Field(description="The answer to each kind of reply")

    def enter(self, ctx: Context) -> Transition:
        return Wait(None)

    def resume(self, ctx: Context, text: str) -> Transition:
        kind = textmatch.classify_attendance(text)
        if kind is None:
            ctx.pass_on(f"{ctx.name or 'En ung'} svarede på påmindelsen med noget, botten ikke forstod. Se beskeden i samtalen.")
            return Wait(None)
        if kind == "arrived":  # "jeg er her nu": the same as texting a check-in word
            ctx.check_in()
            return Wait(None)
        ctx.record_attendance(ctx.data["event_id"], kind)
        if kind in {"confirmed", "late"} and ctx.data.pop("welcome_back", False):
            ctx.say(self.replies["welcome_back"])
        else:
            ctx.say(self.replies[kind])
        return Wait(None)

    def texts(self) -> Iterable[tuple[Where, Text]]:
        for kind, text in self.replies.items():
            yield ("replies", kind), text
