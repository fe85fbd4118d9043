from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import Goto, StepBase, register


@register("go")
class GoStep(StepBase):
    """Jump to another step of the same flow."""

    stops = True

    go: str = Field(description="The step to go to")

    def enter(self, ctx):
        return Goto(self.go)
