"""Phone numbers in one form (E.164), whatever way a person or a provider writes them."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "DK"


class InvalidPhoneNumber(ValueError):
    pass


@lru_cache(maxsize=4096)
def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of ``raw`` ("20 12 34 56" -> "+4520123456").

    Remembered for the last few thousand numbers: every webhook normalises its sender, the same
    young people write again and again, and parsing costs more than the rest of storing it."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
