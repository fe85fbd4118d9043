"""Every word of the console in Danish and English, with the same {placeholders} in both."""
from __future__ import annotations

from string import Formatter

import pytest

from bot.console.texts import PAGES, TEXTS


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_has_danish_and_english_with_the_same_placeholders(key):
    danish, english = TEXTS[key]
    assert danish.strip() and english.strip(), f"{key}: a language is empty"
    assert placeholders(danish) == placeholders(english), f"{key}: the placeholders differ"


def test_no_two_pages_use_the_same_key():
    assert sum(len(page.TEXTS) for page in PAGES) == len(TEXTS)
