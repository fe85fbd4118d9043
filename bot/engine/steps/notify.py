from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from bot.core.phone import InvalidPhoneNumber, normalise_phone
from bot.engine.localized import Text
from bot.engine.steps.base import Continue, StepBase, Transition, Where, register

if TYPE_CHECKING:
    from bot.engine.context import Context


@register("notify")
class NotifyStep(StepBase):
    """Tell the staff something. The young person sees nothing of it."""

    notify: Text = Field(description="The note for staff (Danish)")
    to: list[str] = Field(
        default_factory=list,
        description="Staff phone numbers that also get it by SMS; without them it goes to the staff inbox only",
    )

    @field_validator("to")
    @classmethod
    def _phone_numbers(cls, numbers: list[str]) -> list[str]:
        try:
            return [normalise_phone(str(number)) for number in numbers]
        except InvalidPhoneNumber:
            raise ValueError('must list phone numbers, e.g. "+4512345678"') from None

    def enter(self, ctx: Context) -> Transition:
        ctx.notify(self.notify, self.to)
        return Continue()

    def staff_texts(self) -> Iterable[tuple[Where, Text]]:
        yield ("notify",), self.notify
