from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.steps.base import StartFlow, StepBase, Transition, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("flow")
class FlowStep(StepBase):
    """Leave this flow and start another one from its first step."""

    stops = True

    flow: str = Field(description="The name of the flow to start (its file name without .yaml)")

    def enter(self, ctx: Context) -> Transition:
        return StartFlow(self.flow)

    def flow_references(self) -> Iterable[tuple[Where, str]]:
        yield ("flow",), self.flow
