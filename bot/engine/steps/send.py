from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.localized import Text
from bot.engine.steps.base import Continue, StepBase, Transition, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("send")
class SendStep(StepBase):
    """Send a message, then go on."""

    send: Text = Field(description="The message to send")

    def enter(self, ctx: Context) -> Transition:
        ctx.say(self.send)
        return Continue()

    def texts(self) -> Iterable[tuple[Where, Text]]:
        yield ("send",), self.send
