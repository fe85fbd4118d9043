"""What every step type shares, and the registry that finds a step type by its YAML key."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.localized import Text

if TYPE_CHECKING:
    from bot.engine.actions import BookingFacts, LinkFacts
    from bot.engine.context import Context


# Where a value sits inside a step, as keys from the step down: ("answers", "ja", "go").
Where = tuple[str, ...]


@dataclass(frozen=True)
class Goto:
    step: str


@dataclass(frozen=True)
class StartFlow:
    flow: str


@dataclass(frozen=True)
class Wait:
    timeout: timedelta | None


@dataclass(frozen=True)
class Continue:
    """Go on to the step named by ``go:``, or else the next step in the file."""


@dataclass(frozen=True)
class End:
    pass


Transition = Goto | StartFlow | Wait | Continue | End


class StepBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type_key: ClassVar[str]
    # Steps that wait for the young person; a cycle of steps without one would never stop.
    waits: ClassVar[bool] = False
    # Steps after which the flow does not go on to the next step by itself.
    stops: ClassVar[bool] = False

    go: str | None = Field(default=None, description="The step to go to next (default: the next step in the file)")

    def enter(self, ctx: Context) -> Transition:
        raise NotImplementedError

    def resume(self, ctx: Context, text: str) -> Transition:
        """Called with what the young person wrote while this step waits."""
        raise NotImplementedError(f"a {self.type_key} step does not wait")

    def time_out(self, ctx: Context) -> Transition:
        return End()

    def claims(self, ctx: Context, text: str) -> bool:
        """Is ``text`` so clearly an answer to this step that it goes here before keywords are
        tried? ("onsdag kl. 16" picks a time, though ONSDAG also joins a community.)"""
        return False

    def learn(self, ctx: Context, facts: BookingFacts | LinkFacts) -> Transition | None:
        """Called with the edge's answer to an action this step took (BookingFacts); None: the
        step expected none, and nothing changes."""
        return None

    def step_references(self) -> Iterable[tuple[Where, str]]:
        """(where in the step, step name) for every step this one can lead to."""
        if self.go is not None:
            yield ("go",), self.go

    def flow_references(self) -> Iterable[tuple[Where, str]]:
        return ()

    def texts(self) -> Iterable[tuple[Where, Text]]:
        """(where in the step, text) for every text sent to the young person."""
        return ()

    def sms_preview(self, where: Where, language: str | None, source: str) -> str:
        """The text at ``where`` as an SMS would carry it (for the length check)."""
        return source

    def staff_texts(self) -> Iterable[tuple[Where, Text]]:
        return ()

    def saved_fields(self) -> Iterable[str]:
        return ()


STEP_TYPES: dict[str, type[StepBase]] = {}

S = TypeVar("S", bound=type[StepBase])


def register(type_key: str) -> Callable[[S], S]:
    def decorate(cls: S) -> S:
        cls.type_key = type_key
        STEP_TYPES[type_key] = cls
        return cls

    return decorate
