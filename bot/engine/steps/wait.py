from __future__ import annotations

from pydantic import Field

from bot.engine.durations import Duration
from bot.engine.steps.base import Continue, End, Goto, StepBase, Wait, register


@register("wait")
class WaitStep(StepBase):
    """Wait for the young person to write something, for at most the given time."""

    waits = True

    wait: Duration = Field(description="How long to wait, e.g. 30m or 2h")
    save: str | None = Field(default=None, description="Save what they wrote in this field")
    on_timeout: str | None = Field(default=None, description="The step to go to when they wrote nothing in time")

    def enter(self, ctx):
        return Wait(self.wait)

    def resume(self, ctx, text):
        if self.save:
            ctx.save(self.save, text.strip())
        return Continue()

    def time_out(self, ctx):
        return Goto(self.on_timeout) if self.on_timeout else End()

    def step_references(self):
        yield from super().step_references()
        if self.on_timeout:
            yield ("on_timeout",), self.on_timeout

    def saved_fields(self):
        return [self.save] if self.save else []
