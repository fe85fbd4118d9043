"""A text staff write in Danish and, if they like, English: the contact's language picks one."""
from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field


class LocalizedText(BaseModel):
    """A message in Danish and, optionally, English. The contact's language picks one."""

    model_config = ConfigDict(extra="forbid")
    da: str = Field(description="Danish text (always required)")
    en: str | None = Field(default=None, description="English text; Danish is used when missing")

    def pick(self, language: str) -> str:
        return (self.en if language == "en" else None) or self.da

    def variants(self) -> Iterable[tuple[str, str]]:
        yield "da", self.da
        if self.en is not None:
            yield "en", self.en


Text = str | LocalizedText


def text_in(text: Text, language: str) -> str:
    """The variant for ``language`` (Danish when there is no English one)."""
    return text if isinstance(text, str) else text.pick(language)


def text_variants(text: Text) -> Iterable[tuple[str | None, str]]:
    """(language key, string) pairs, for checking every variant of a text."""
    if isinstance(text, str):
        yield None, text
    else:
        yield from text.variants()
