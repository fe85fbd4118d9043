"""The flow file format staff write, as one pydantic model.

The loader validates with it and ``ungebot flows schema`` publishes its JSON Schema, so editors
and the bot agree on what a flow is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from bot.engine.durations import Duration
from bot.engine.steps import STEP_TYPES, StepBase


def _step_kind(value: Any) -> str | None:
    if isinstance(value, StepBase):
        return value.type_key
    if not isinstance(value, dict):
        return None
    kinds: list[str] = [key for key in value if key in STEP_TYPES and key != "go"]
    if kinds:
        return kinds[0]
    return "go" if "go" in value else None


if TYPE_CHECKING:
    # A type checker cannot read the union built at run time below; every member is a StepBase.
    Step = StepBase
else:
    Step = Annotated[
        Union[tuple(Annotated[cls, Tag(key)] for key, cls in STEP_TYPES.items())],  # noqa: UP007 - a union built at run time has no | form
        Discriminator(
            _step_kind,
            custom_error_type="step_kind",
            custom_error_message="a step needs one of: " + ", ".join(STEP_TYPES),
        ),
    ]


class KeywordsByLanguage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    da: list[str] = Field(default_factory=list, description="Danish keywords")
    en: list[str] = Field(default_factory=list, description="English keywords (the bot answers in English)")


class Flow(BaseModel):
    """One conversation the bot can have."""

    model_config = ConfigDict(extra="forbid", title="Ungebot flow")

    name: str | None = Field(default=None, description="A name for staff; the file name is the flow's id")
    description: str | None = None
    triggers: list[str] | KeywordsByLanguage = Field(
        default_factory=list,
        description="Keywords that start this flow. Case, æøå/ae-oe-aa, accents, small typos and trailing words are forgiven",
    )
    catch_all: bool = Field(default=False, description="Start this flow for messages nothing else understands")
    expires_after: Duration = Field(
        default="24h", validate_default=True, description="A conversation that waits longer than this ends quietly"
    )
    fields: list[str] = Field(default_factory=list, description="Contact fields that templates may use")
    steps: dict[str, Step] = Field(min_length=1, description="The steps, run from the first one down")

    def keywords(self) -> list[tuple[str, str | None]]:
        """(keyword, language it implies or None)."""
        if isinstance(self.triggers, list):
            return [(word, None) for word in self.triggers]
        danish: list[tuple[str, str | None]] = [(word, "da") for word in self.triggers.da]
        return danish + [(word, "en") for word in self.triggers.en]

    def first_step(self) -> str:
        return next(iter(self.steps))

    def step_after(self, name: str) -> str | None:
        names = list(self.steps)
        index = names.index(name) + 1
        return names[index] if index < len(names) else None
