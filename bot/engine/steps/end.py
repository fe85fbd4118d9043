from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.localized import Text
from bot.engine.steps.base import End, StepBase, Transition, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("end")
class EndStep(StepBase):
    """End the conversation, optionally with a last message (``end: true`` ends silently)."""

    stops = True

    end: Text | bool = Field(description="A last message, or true to end without one")

    def enter(self, ctx: Context) -> Transition:
        if not isinstance(self.end, bool):
            ctx.say(self.end)
        return End()

    def texts(self) -> Iterable[tuple[Where, Text]]:
        if not isinstance(self.end, bool):
            yield ("end",), self.end
