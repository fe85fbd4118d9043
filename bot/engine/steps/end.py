from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import End, StepBase, Text, register


@register("end")
class EndStep(StepBase):
    """End the conversation, optionally with a last message (``end: true`` ends silently)."""

    stops = True

    end: Text | bool = Field(description="A last message, or true to end without one")

    def enter(self, ctx):
        if not isinstance(self.end, bool):
            ctx.say(self.end)
        return End()

    def texts(self):
        if not isinstance(self.end, bool):
            yield ("end",), self.end
