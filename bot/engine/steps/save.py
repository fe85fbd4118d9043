from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field

from bot.engine.steps.base import Continue, StepBase, Transition, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("save")
class SaveStep(StepBase):
    """Save values on the contact, e.g. ``save: {tilmeldt: ja}``. Values may use {{ fields }}."""

    save: dict[str, str] = Field(description="Field name -> value (a template)", min_length=1)

    def enter(self, ctx: Context) -> Transition:
        for field, value in self.save.items():
            ctx.save(field, ctx.render(value))
        return Continue()

    def saved_fields(self) -> Iterable[str]:
        return self.save.keys()
