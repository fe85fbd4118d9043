"""What a flow text costs as SMS, and which links in it operators may filter."""
from __future__ import annotations

import pytest

from bot.core.sms_segments import find_urls, is_gsm7, non_gsm7_characters, segment_count

EMOJI = "😀"  # outside the Basic Multilingual Plane: two UTF-16 code units


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hej! Hvordan går det?", True),
        ("Æbler, øl og ål i Århus. Ærø, Øresund, Åen.", True),
        ("Café, Ärger, Öl, Ñandu, Über, Straße, à la carte, Ça, ¿¡§¤£¥$@", True),
        ("Pris: 20 € [ca.] {x} \\ ^ ~ |", True),
        ("ΔΦΓΛΩΠΨΣΘΞ _", True),
        ("Linje 1\nLinje 2\r\n", True),
        ("", True),
        ("Det er ’din’ tur", False),  # curly quotes pasted from Word
        ("“Hej”", False),
        ("Vi ses 👍", False),
        ("Hej – hvordan går det?", False),  # en dash
        ("ç", False),  # only the capital Ç is in the GSM table
        ("ú", False),
        ("a\tb", False),
    ],
)
def test_is_gsm7(text, expected):
    assert is_gsm7(text) is expected


@pytest.mark.parametrize(
    "text, offending",
    [
        ("Hej Søren, velkommen til Ungebot!", []),
        ("Det er ’din’ tur", ["’"]),
        ("“Hej” – 👍🏽 😀 ’", ["“", "”", "–", "👍", "🏽", "😀", "’"]),
        ("€ [ ] { }", []),
    ],
)
def test_non_gsm7_characters(text, offending):
    assert non_gsm7_characters(text) == offending


@pytest.mark.parametrize(
    "text, segments",
    [
        ("", 0),
        ("Hej", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("æøå" * 53 + "Æ", 1),  # 160 Danish letters are still 160 septets
        ("æøå" * 54, 2),
        ("€" * 80, 1),  # extension characters cost two septets: 160
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 158 + "€", 1),
        # 306 septets would fit in two parts, but the € may not be cut in half.
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 151 + "€" + "a" * 153, 2),
        (EMOJI, 1),
        ("a" * 68 + EMOJI, 1),  # 70 code units
        ("a" * 69 + EMOJI, 2),  # 71 code units
        ("a" * 69 + "’", 1),  # one curly quote makes it UCS-2: 70 characters
        ("a" * 70 + "’", 2),
        ("a" * 133 + "’", 2),  # 134 = 2 x 67
        ("a" * 134 + "’", 3),
        # 134 code units would fit in two parts, but the emoji may not be cut in half.
        ("a" * 66 + EMOJI + "a" * 66, 3),
        ("a" * 65 + EMOJI + "a" * 67, 2),
        ("æøå" * 23 + "✅", 1),  # 69 letters + an emoji inside the BMP (one code unit) = 70
        ("æøå" * 23 + "👍", 2),  # ... but 👍 is outside it: 71
    ],
)
def test_segment_count(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(
    "text, urls",
    [
        ("Læs mere på https://ungebot.dk/hjaelp.", ["https://ungebot.dk/hjaelp"]),
        ("http://example.com?a=1&b=2", ["http://example.com?a=1&b=2"]),
        ("Se www.sundhed.dk, eller ring.", ["www.sundhed.dk"]),
        ("www.ungebot.de", ["www.ungebot.de"]),
        ("Find os på ungebot.dk/xyz", ["ungebot.dk/xyz"]),
        ("UNGEBOT.DK", ["UNGEBOT.DK"]),
        ("(se borger.dk)", ["borger.dk"]),
        ("bit.ly/3abc og t.co", ["bit.ly/3abc"]),
        ("kbh.kommune.dk/ung", ["kbh.kommune.dk/ung"]),
        ("headspace.org, cyberhus.dk og ventilen.dk!", ["headspace.org", "cyberhus.dk", "ventilen.dk"]),
        ("Mød op kl. 17.00", []),
        ("Ring på 70 201 201", []),
        ("Vi ses på St. 47", []),
        ("f.eks. bl.a. m.m. osv.", []),
        ("Ring 70.20.12.01 eller 112", []),
        ("Kom.Nu, ellers", []),  # a missing space after a full stop, not a link
        ("Skriv til hej@ungebot.dk", []),
        ("Hej {{ name }}. Det var {{ dato }}.", []),
        ("ungebot.dkx", []),
        ("", []),
    ],
)
def test_find_urls(text, urls):
    assert find_urls(text) == urls
