from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.steps.base import Goto, StepBase, Transition, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("go")
class GoStep(StepBase):
    """Jump to another step of the same flow."""

    stops = True

    go: str = Field(description="The step to go to")

    def enter(self, ctx: Context) -> Transition:
        return Goto(self.go)
