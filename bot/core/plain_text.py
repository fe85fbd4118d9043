"""What text staff may have sent to a young person: any character but the control characters.

Kept here, below the REST API and the console, so both refuse the same text by the same rule. The
patterns keep to the regular expressions that Python and JavaScript read alike (they are also the
OpenAPI document's patterns): explicit character classes, no ``\\s``, ``\\d`` or ``\\w``.
"""
from __future__ import annotations

import re

# Any character but the Unicode control characters (Cc), except tab and newline; a carriage
# return only in CRLF. They are no use in a text message or a name, and PostgreSQL cannot store NUL.
PLAIN_CHAR = r"(?:[^\x00-\x08\x0B-\x1F\x7F-\x9F]|\r\n)"
# What PLAIN_CHAR takes less the whitespace that str.strip() removes.
WORD_CHAR = r"[^\x00-\x20\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
PLAIN_TEXT = rf"^{PLAIN_CHAR}*$"
WORDS = rf"^{PLAIN_CHAR}*{WORD_CHAR}{PLAIN_CHAR}*$"


def plain(value: str) -> str:
    """``value`` with CRLF as LF; ValueError if it holds a control character."""
    if not re.fullmatch(PLAIN_TEXT, value):
        raise ValueError("control characters cannot be sent; write plain text")
    return value.replace("\r\n", "\n")
