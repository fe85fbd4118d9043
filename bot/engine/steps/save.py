from __future__ import annotations

from pydantic import Field

from bot.engine.steps.base import Continue, StepBase, register


@register("save")
class SaveStep(StepBase):
    """Save values on the contact, e.g. ``save: {tilmeldt: ja}``. Values may use {{ fields }}."""

    save: dict[str, str] = Field(description="Field name -> value (a template)", min_length=1)

    def enter(self, ctx):
        for field, value in self.save.items():
            ctx.save(field, ctx.render(value))
        return Continue()

    def saved_fields(self):
        return self.save.keys()
