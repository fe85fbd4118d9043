from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import Continue, StepBase, register


@register("join")
class JoinStep(StepBase):
    """Make the young person a member of a community (after they said yes to its messages)."""

    join: str = Field(description="The community's name (its file name without .yaml)")

    def enter(self, ctx):
        ctx.join(self.join)
        return Continue()
