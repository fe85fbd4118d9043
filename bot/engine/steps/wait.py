from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.durations import Duration
from bot.engine.steps.base import Continue, End, Goto, StepBase, Transition, Wait, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("wait")
class WaitStep(StepBase):
    """Wait for the young person to write something, for at most the given time."""

    waits = True

    wait: Duration = Field(description="How long to wait, e.g. 30m or 2h")
    save: str | None = Field(default=None, description="Save what they wrote in this field")
    on_timeout: str | None = Field(default=None, description="The step to go to when they wrote nothing in time")

    def enter(self, ctx: Context) -> Transition:
        return Wait(self.wait)

    def resume(self, ctx: Context, text: str) -> Transition:
        if self.save:
            ctx.save(self.save, text.strip())
        return Continue()

    def time_out(self, ctx: Context) -> Transition:
        return Goto(self.on_timeout) if self.on_timeout else End()

    def step_references(self) -> Iterable[tuple[Where, str]]:
        yield from super().step_references()
        if self.on_timeout:
            yield ("on_timeout",), self.on_timeout

    def saved_fields(self) -> Iterable[str]:
        return [self.save] if self.save else []
