"""Fields of request bodies that the server checks by the same rule the OpenAPI document states,
so the document is as strict as the server, no more and no less: text, phone numbers, email
addresses by one pattern each, integers as JSON Schema counts them, and times as RFC 3339 writes
them (JSON Schema's format ``date-time``).

The patterns keep to the regular expressions that Python and JavaScript (JSON Schema's dialect)
read alike: explicit character classes, no ``\\s``, ``\\d`` or ``\\w``, whose Unicode differs.
The server matches them whole (``re.fullmatch``), as JSON Schema reads ``^...$``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from phonenumbers import PhoneMetadata, region_code_for_country_code
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from bot.core.phone import DEFAULT_REGION
from bot.core.plain_text import PLAIN_TEXT, WORDS
from bot.core.plain_text import plain as _plain

PHONE_INPUT_MAX = 30


def _matching(pattern: str, kind: str, message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise PydanticCustomError(kind, message)
        return value

    return AfterValidator(check)


# Text ------------------------------------------------------------------------------------------

def _words(value: str, info: ValidationInfo) -> str:
    value = _plain(value)
    if not re.fullmatch(WORDS, value):
        raise ValueError(f"{info.field_name} must not be empty")
    return value.strip()


def plain_text(max_length: int, **field: Any) -> Any:
    """Text as written, CRLF as LF; it may be empty or blank."""
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": PLAIN_TEXT}, **field), AfterValidator(_plain)]


def words(max_length: int, **field: Any) -> Any:
    """Text that says something (not empty, not only whitespace), without the whitespace around it."""
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": WORDS}, **field), AfterValidator(_words)]


# Phone numbers ---------------------------------------------------------------------------------

def _lengths(lengths: list[int]) -> list[str]:
    """{8} for [8], {9,10} for [9, 10]: a quantifier for each run of consecutive lengths."""
    runs: list[list[int]] = []
    for length in sorted(lengths):
        if runs and length == runs[-1][-1] + 1:
            runs[-1].append(length)
        else:
            runs.append([length])
    return [f"{{{run[0]}}}" if len(run) == 1 else f"{{{run[0]},{run[-1]}}}" for run in runs]


def _either(alternatives: Iterable[str]) -> str:
    alternatives = list(alternatives)
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


def _phone_number() -> str:
    """The numbers ``bot.core.phone.normalise_phone`` takes, written plainly: a Danish number as people
    write it ("20 12 34 56"), or any country's after + or 00 with as many digits as are possible
    there (from phonenumbers' own metadata). Digits may be spaced out with spaces or hyphens;
    letters, extensions and other decoration, which phonenumbers would pass over, are refused."""
    digit = "[ -]?[0-9]"

    def digits(lengths: list[int]) -> str:
        return _either(f"(?:{digit}){quantifier}" for quantifier in _lengths(lengths))

    by_lengths: dict[tuple[int, ...], list[str]] = {}
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region_code_for_country_code(code))
        by_lengths.setdefault(tuple(metadata.general_desc.possible_length), []).append(str(code))
    international = "|".join(_either(codes) + digits(list(lengths)) for lengths, codes in by_lengths.items())
    home = PhoneMetadata.metadata_for_region(DEFAULT_REGION).general_desc.possible_length
    # A national number never starts with 0 here: that would be read as a prefix.
    national = f"[1-9]{digits([length - 1 for length in home])}"
    return f"(?:\\+|00)(?:{international})|{national}"


PHONE_NUMBER = _phone_number()
PHONE = f"^(?:{PHONE_NUMBER})$"
PHONE_OR_EMPTY = f"^(?:{PHONE_NUMBER})?$"
PHONE_MESSAGE = "not a phone number; write it like 20 12 34 56 or +45 20 12 34 56"
PHONE_EXAMPLES = ["20 12 34 56", "+4520123456"]

Phone = Annotated[
    str,
    Field(max_length=PHONE_INPUT_MAX, examples=PHONE_EXAMPLES, json_schema_extra={"pattern": PHONE}),
    _matching(PHONE, "phone_number", PHONE_MESSAGE),
]
PhoneOrEmpty = Annotated[
    str,
    Field(max_length=PHONE_INPUT_MAX, examples=PHONE_EXAMPLES, description="Empty clears it", json_schema_extra={"pattern": PHONE_OR_EMPTY}),
    _matching(PHONE_OR_EMPTY, "phone_number", PHONE_MESSAGE),
]


# Email addresses -------------------------------------------------------------------------------

# bot.domain.communities.members' rule (one @, a dot in the domain), with no whitespace or control characters.
EMAIL_CHAR = r"[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
EMAIL_TOP_LEVEL_CHAR = r"[^@.\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
EMAIL_OR_EMPTY = rf"^(?:{EMAIL_CHAR}+@{EMAIL_CHAR}+\.{EMAIL_TOP_LEVEL_CHAR}+)?$"
EMAIL_MESSAGE = "not an email address; write it like navn@kommune.dk"


def email(max_length: int) -> Any:
    """An email address, or empty to clear it."""
    return Annotated[
        str,
        Field(max_length=max_length, examples=["mette@kommune.dk"], json_schema_extra={"pattern": EMAIL_OR_EMPTY}),
        _matching(EMAIL_OR_EMPTY, "email", EMAIL_MESSAGE),
    ]


# Integers and times ----------------------------------------------------------------------------

def _integral(value: object) -> object:
    # JSON Schema counts 12.0 as an integer; a strict model would refuse it, a lax one take "12".
    return int(value) if isinstance(value, float) and value.is_integer() else value


Integer = Annotated[int, BeforeValidator(_integral)]

# RFC 3339's date-time, which pydantic reads among other forms (a Unix time, a space for the T).
RFC_3339 = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"


def _rfc_3339(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(RFC_3339, value):
        raise ValueError("write the time as RFC 3339, e.g. 2026-11-30T15:00:00+01:00")
    return value


# Not strict: a strict model takes a string for a time only straight from JSON, not from a validator.
DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc_3339), Field(strict=False)]
