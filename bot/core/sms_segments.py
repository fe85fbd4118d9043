"""What a text costs as SMS, and what in it may get it filtered.

An SMS is sent either in the GSM 03.38 7-bit alphabet (160 characters, or 153 per part once
a text is split) or, as soon as one character is outside it, as UCS-2 (70, or 67 per part).
Danish letters are in GSM-7; a curly quote from a word processor or a single emoji is not,
and more than halves what fits in each SMS.
"""
from __future__ import annotations

import re

__all__ = ["find_urls", "is_gsm7", "non_gsm7_characters", "segment_count"]

# GSM 03.38 default alphabet (ESC, 0x1B, is left out: it only introduces the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through ESC, so each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Top-level domains a bare "name.tld" must end in to count as a link. Kept short on purpose:
# ".se", ".no" and ".de" are also Danish words, and a missing space after a full stop
# ("i morgen.Se") is far more common in SMS drafts than a Swedish link.
BARE_TLDS = ("dk", "com", "org", "net", "eu", "io", "nu", "info", "app", "ly", "link")

_LABEL = r"[a-z0-9æøå](?:[a-z0-9æøå-]{0,61}[a-z0-9æøå])?"
_URL = re.compile(
    r"https?://[^\s<>\"]+"
    r"|\bwww\.[^\s<>\"]+"
    # Not after "@" (an e-mail address), a letter, digit or dot (the middle of something else).
    rf"|(?<![\w@.-])(?:{_LABEL}\.)+(?P<tld>{'|'.join(BARE_TLDS)})(?![\w-])(?:[/?#][^\s<>\"]*)?",
    re.IGNORECASE,
)
# Sentence punctuation that ends up glued to a link ("se ungebot.dk/hjaelp.").
_TRAILING = ".,;:!?)]}>'\"»”’{"


def _septets(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _utf16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The characters that force Unicode (UCS-2) sending, each once, in order of appearance."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            seen.setdefault(ch, None)
    return list(seen)


def _parts(costs: list[int], part_size: int) -> int:
    # A two-unit character (ESC + char, or a surrogate pair) may not be cut in half between
    # parts, so a part can end up one unit short of full.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part_size:
            parts, used = parts + 1, 0
        used += cost
    return parts


def segment_count(text: str) -> int:
    """How many SMS ``text`` is sent as. An empty text is 0: providers refuse an empty body."""
    if not text:
        return 0
    if is_gsm7(text):
        costs, single, part = [_septets(ch) for ch in text], GSM7_SINGLE, GSM7_PART
    else:
        costs, single, part = [_utf16_units(ch) for ch in text], UCS2_SINGLE, UCS2_PART
    if sum(costs) <= single:
        return 1
    return _parts(costs, part)


def find_urls(text: str) -> list[str]:
    """Links in ``text``: "https://...", "www...." and bare "ungebot.dk/xyz"; not "kl. 17.00"."""
    urls = []
    for match in _URL.finditer(text):
        tld = match.group("tld")
        if tld is not None and not (tld.islower() or tld.isupper()):
            continue  # "Kom.Nu" is a sentence missing a space, "ungebot.dk"/"UNGEBOT.DK" a link
        url = match.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if url:
            urls.append(url)
    return urls
