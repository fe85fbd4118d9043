from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.steps.base import Continue, StepBase, Transition, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("join")
class JoinStep(StepBase):
    """Make the young person a member of a community (after they said yes to its messages)."""

    join: str = Field(description="The community's name (its file name without .yaml)")

    def enter(self, ctx: Context) -> Transition:
        ctx.join(self.join)
        return Continue()
