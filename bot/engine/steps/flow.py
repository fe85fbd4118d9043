from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import StartFlow, StepBase, register


@register("flow")
class FlowStep(StepBase):
    """Leave this flow and start another one from its first step."""

    stops = True

    flow: str = Field(description="The name of the flow to start (its file name without .yaml)")

    def enter(self, ctx):
        return StartFlow(self.flow)

    def flow_references(self):
        yield ("flow",), self.flow
