"""The patterns the OpenAPI document states are the rules the server keeps: every phone number a
pattern allows is one bot.core.phone takes, and the text and date patterns say what the checks say.
test_api_schemathesis.py tries a few values through the API; these try every case there is."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata, region_code_for_country_code
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from bot.api.common import EARLIEST, LATEST, LOCAL_DATE
from bot.api.fields import PHONE, PHONE_OR_EMPTY, PLAIN_TEXT, WORDS
from bot.core.phone import normalise_phone


def test_every_country_and_length_the_phone_pattern_allows_is_a_number_bot_phone_takes():
    for code in COUNTRY_CODE_TO_REGION_CODE:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region_code_for_country_code(code))
        for length in metadata.general_desc.possible_length:
            national = ("9876543210" * 2)[:length]
            for written in (f"+{code}{national}", f"00{code} {national}", f"+{code}-{national}"):
                assert re.fullmatch(PHONE, written), written
                assert normalise_phone(written).startswith(f"+{code}"), written


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.from_regex(PHONE, fullmatch=True))
def test_any_number_the_phone_pattern_allows_is_one_bot_phone_takes(number):
    normalise_phone(number)


def test_the_phone_pattern_refuses_what_is_not_plainly_a_number():
    for written in ("20 12 34 56", "+45 20 12 34 56", "0045 2012 3456", "20-12-34-56", "+442079460958"):
        assert re.fullmatch(PHONE, written), written
    # bot.core.phone would read a number out of some of these; the API asks for the number alone.
    for written in ("", "nej", "12", "00000000", "Hej 20123456", "20123456 ext 5", "+4520123456\n", " 20123456", "+45 2012345"):
        assert not re.fullmatch(PHONE, written), written
    assert re.fullmatch(PHONE_OR_EMPTY, "")


def _is_plain(text: str) -> bool:
    return not any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text.replace("\r\n", "\n"))


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(st.text(st.one_of(st.characters(max_codepoint=0x3100), st.sampled_from("\r\n\t \x00\x0b\x85\xa0\u2028\u3000")), max_size=6))
def test_the_text_patterns_refuse_control_characters_and_words_need_a_word(text):
    assert bool(re.fullmatch(PLAIN_TEXT, text)) == _is_plain(text)
    assert bool(re.fullmatch(WORDS, text)) == (_is_plain(text) and text.replace("\r\n", "\n").strip() != "")


def test_the_date_pattern_allows_exactly_the_dates_from_2000_to_2099():
    day = EARLIEST - timedelta(days=400)
    while day <= LATEST + timedelta(days=400):
        assert bool(re.fullmatch(LOCAL_DATE, day.isoformat())) == (EARLIEST <= day <= LATEST), day
        day += timedelta(days=1)
    for year in (2023, 2024, 2100):
        for month in range(1, 13):
            for day_of_month in (0, 29, 30, 31, 32):
                text = f"{year}-{month:02d}-{day_of_month:02d}"
                try:
                    exists = EARLIEST <= date.fromisoformat(text) <= LATEST
                except ValueError:
                    exists = False
                assert bool(re.fullmatch(LOCAL_DATE, text)) == exists, text
