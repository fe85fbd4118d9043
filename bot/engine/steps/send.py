from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import Continue, StepBase, Text, register


@register("send")
class SendStep(StepBase):
    """Send a message, then go on."""

    send: Text = Field(description="The message to send")

    def enter(self, ctx):
        ctx.say(self.send)
        return Continue()

    def texts(self):
        yield ("send",), self.send
