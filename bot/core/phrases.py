"""Finding phrases anywhere in a message, spelled the way young people write them.

Made for words of danger (``bot.core.danger``), where a miss can cost a life and a false alarm
costs a look, and used for "none of them" among offered times too. A list is prepared once
(``Phrases``), when the flows load; reading a long message against it then takes about a
millisecond (``bench/danger_words.py``).

A word is compared in a squashed form: ``fold`` first (case, accents, punctuation; æ ø å spelled
ae oe aa), then aa/ae/oe become a/a/o, so "dø", "doe", "do", "doo" and "døøø" are one word; a
vowel held down counts once ("leeeve"), a consonant held down twice ("ikkkke"), so "pills" stays
apart from "pils". The SMS spellings of the little words phrases are made of are those words
("ik", "ikk", "ic" are "ikke"; "mer" is "mere"; "maj", "mj" are "mig"). Slips are forgiven by
length, with the first letter right: under 4 letters none, 4 letters two letters swapped ("slev"),
5-7 letters one slip, 8 or more two. A word that is a phrase of its own has nothing beside it to
confirm it, so there a swap up to 6 letters, one slip up to 11, and it takes an ending
("panodiler"). A number is never a slip, and digits part from letters: "800mg", "tog20piller".

A phrase is its words in order. Glue words ("at", "å", "og", "to", "2") are left out of it,
and the message may have a few filler words between its words ("vil bare ikke leve", "want to
fucking die"). A word ending in "*" is a stem: one of 6 letters or more fits every word that
begins with it ("selvmord*": "selvmordstanker"), with one slip at most and the first two letters
right; a shorter one only the word with an ending, spelled right ("mord*": "mordet", "morderen",
never "mordsjov"). "#" is any number ("# mg"). A phrase written
without spaces ("villeikkeleve", "jegvildø") or with one too many ("selv mord") is found as well,
spelled exactly; a word of its own inside another only from 8 letters ("jegharselvmordstanker"),
so short ones never hide inside others ("piller" in "spiller").

Ordinary phrases ("kniv og gaffel", "p-piller") cancel a hit that lies wholly inside one of
them. A negation never does: "jeg vil ikke begå selvmord" still finds "selvmord".
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, product

from bot.core.textmatch import deletions, edit_distance, fold

__all__ = ["Phrases", "find_phrase"]

_STEM = "*"
_NUMBER = "#"
_VOWELS = frozenset("aeiouy")
_DIGITS_OR_NOT = re.compile(r"\d+|\D+")
_DIGIT = re.compile(r"\d")

# Squashed SMS spelling -> the squashed word it stands for.
_SPELLINGS = {
    "ik": "ikke", "ikk": "ikke", "ike": "ikke", "ic": "ikke",
    "mer": "mere",
    "mj": "mig", "maj": "mig", "daj": "dig",
    "vill": "vil",
    "ta": "tage",
    "wanna": "want", "wana": "want",
}
# The word -> every way of spelling it, for phrases written without spaces ("vilikleve").
_VARIANTS = {meant: {meant, *(typed for typed, same in _SPELLINGS.items() if same == meant)} for meant in set(_SPELLINGS.values())}

# Left out of a phrase and skipped in a message: "orker ikke at leve" is "orker ik å leve".
_GLUE = frozenset({"at", "a", "og", "o", "to", "2"})
# Skipped between a phrase's words, at most _MAX_FILLERS in a row ("vil bare virkelig ikke leve").
_FILLERS = _GLUE | frozenset({
    "bare", "lige", "virkelig", "virkeligt", "vildt", "helt", "totalt", "simpelthen", "mega", "pisse",
    "sgu", "sku", "sq", "fandme", "fanme", "faktisk", "jo", "nok", "nu", "sa", "ogsa", "altsa", "gerne", "snart",
    "fucking", "fuking", "fking", "fkn", "just", "realy", "so", "literaly", "lowkey", "fr", "even",
    "actualy", "honestly", "kinda", "seriously", "totaly",
})
_MAX_FILLERS = 3
# A stem this long fits any word that begins with it; a shorter one only its word with an ending,
# and so does a phrase of one word this long ("panodil": "panodiler", "piller": "pillerne").
_LONG_STEM = 6
_WITH_ENDINGS = 5
_ENDINGS = frozenset({
    "", "e", "r", "s", "t", "n", "d", "er", "et", "en", "es", "ed", "te", "de", "ne", "re",
    "ene", "ere", "ede", "ens", "ers", "ets", "ing", "ings", "ende", "eren", "erne", "ning",
})
_LONGEST_ENDING = max(len(ending) for ending in _ENDINGS)
# Forms without spaces, found by their first _KEY letters. A phrase of several words written as one
# from _PHRASE_INSIDE letters ("jegvildø"), and run over several words (a space too many, "selv
# mord") from _ACROSS; a word of its own inside another only from _WORD_INSIDE, since shorter ones
# hide in ordinary words ("piller" in "spiller", "mord" in "mordsjov").
_PHRASE_INSIDE = 5
_ACROSS = 6
_WORD_INSIDE = 8
_KEY = _PHRASE_INSIDE  # as many letters as the shortest form has: the fewer forms share them


@lru_cache(maxsize=65536)
def _squash(word: str) -> str:
    """"doeoeoe" -> "do", "leeeve" -> "leve", "ikkkke" -> "ikke"; digits as they are."""
    for pair, single in (("aa", "a"), ("ae", "a"), ("oe", "o")):
        word = word.replace(pair, single)
    kept: list[str] = []
    for ch in word:
        if kept and ch == kept[-1] and ch.isalpha() and (ch in _VOWELS or (len(kept) > 1 and kept[-2] == ch)):
            continue
        kept.append(ch)
    return "".join(kept)


def _word(token: str) -> str:
    squashed = _squash(token)
    return _SPELLINGS.get(squashed, squashed)


def _tokens(text: str) -> list[str]:
    """Folded tokens, digits parted from letters: "tog20piller 💊" -> ["tog", "20", "piller", "💊"]."""
    folded = fold(text)
    if folded.isascii() and not _DIGIT.search(folded):
        return folded.split()  # most messages: plain letters only
    found: list[str] = []
    for token in folded.split():
        if token.isalpha() or not token[0].isalnum():
            found.append(token)  # most are plain words
        else:
            found.extend(_DIGITS_OR_NOT.findall(token))
    return found


def _is_word(token: str) -> bool:
    return token[0].isalpha()


_SWAP = -1  # only two letters swapped ("slev" for "selv")


def _forgiven(wanted: str, alone: bool) -> int:
    """The slips forgiven in ``wanted``: by its length, and more strictly in a word that is a phrase
    of its own, which no other word stands by to confirm ("tabletter" must not find "talenter")."""
    if len(wanted) < 4:
        return 0
    if len(wanted) < (7 if alone else 5):
        return _SWAP
    return 1 if len(wanted) < (12 if alone else 8) else 2


def _within(said: str, wanted: str, slips: int) -> bool:
    """``edit_distance(said, wanted) <= slips``, quickly: what both begin and end with is no slip."""
    if abs(len(said) - len(wanted)) > slips:
        return False
    start = 0
    shortest = min(len(said), len(wanted))
    while start < shortest and said[start] == wanted[start]:
        start += 1
    end = 0
    while end < shortest - start and said[-1 - end] == wanted[-1 - end]:
        end += 1
    said, wanted = said[start:len(said) - end], wanted[start:len(wanted) - end]
    if len(said) <= 1 and len(wanted) <= 1:
        return len(said) + len(wanted) == 0 or slips >= 1
    if len(said) == len(wanted) == 2 and said == wanted[::-1]:
        return slips >= 1  # two letters swapped
    return slips >= 2 and edit_distance(said, wanted, slips) <= slips


def _near(said: str, wanted: str, alone: bool) -> bool:
    """Is ``said`` ``wanted`` with the slips ``_forgiven`` allows?

    "mor" and "more" are one slip from "mord", so a short word may only have two letters swapped;
    and the first letter must be right, since a thumb seldom misses it and "spiller" is not
    "piller", nor "butter" "cutter".
    """
    if said == wanted:
        return True
    forgiven = _forgiven(wanted, alone)
    if forgiven == 0 or said[0] != wanted[0]:
        return False
    if forgiven == _SWAP:
        return len(said) == len(wanted) and _within(said, wanted, 1) and sorted(said) == sorted(wanted)
    return _within(said, wanted, forgiven)


def _fits_long_stem(said: str, stem: str) -> bool:
    """Does ``said`` begin with ``stem``, give or take one slip ("selvmorstanker", "sucidal")?

    One, not two as a long word has, since any ending may follow ("trampolin" is two from
    "tramadol"); and a word shorter than the stem only when the stem is long ("selvmor"), for
    "koden" is one slip from "kodein".
    """
    if said.startswith(stem):
        return True
    if len(said) < len(stem):
        return len(stem) >= 8 and _within(said, stem, 1)
    return any(_within(said[:end], stem, 1) for end in (len(stem) - 1, len(stem), len(stem) + 1))


@dataclass(frozen=True)
class _Joined:
    """A phrase written without spaces; ``spaced``: it may also run over words ("selv mord")."""

    form: str
    phrase: int
    spaced: bool
    stem: bool


@dataclass(frozen=True)
class _Phrase:
    written: str
    words: tuple[int, ...]
    rank: tuple[int, int]  # more words, then longer, wins
    ordinary: bool
    after_first: frozenset[int]  # its words but the first


class Phrases:
    """A list of phrases prepared for ``find``; ``ordinary`` phrases cancel hits inside them."""

    def __init__(self, phrases: Iterable[str], ordinary: Iterable[str] = ()) -> None:
        # Per word id: its kind (word, alone: a phrase of one word, stem, number, emoji) and text.
        self._kinds: list[tuple[str, str]] = []
        self._ids: dict[tuple[str, str], int] = {}
        self._exact: dict[str, set[int]] = {}
        self._by_deletion: dict[str, set[int]] = {}
        self._long_words: dict[str, list[int]] = {}  # words with two slips forgiven, by first two letters
        self._alone: dict[str, int] = {}  # phrases of one word that take endings ("panodiler")
        self._short_stems: dict[str, int] = {}
        self._long_stems: dict[str, list[int]] = {}
        self._numbers: set[int] = set()
        self._starting: dict[int, list[int]] = {}
        self._joined: dict[str, list[_Joined]] = {}  # by form
        self._joined_lengths: dict[str, set[int]] = {}  # the forms' lengths, by their first _KEY letters
        self._phrases: list[_Phrase] = []
        self._seen: dict[str, frozenset[int]] = {}
        self._longest = 0
        for written in phrases:
            self._add(written, ordinary=False)
        for written in ordinary:
            self._add(written, ordinary=True)
        # Where in a message a form without spaces may begin, found by one regular expression
        # (its first letters as a trie) instead of looking up every letter's position in turn.
        self._joined_keys = re.compile(f"(?=(?:{_trie_pattern(self._joined_lengths)}))")

    def _add(self, written: str, *, ordinary: bool) -> None:
        words: list[tuple[str, str]] = []
        for chunk in written.split():
            if chunk == _NUMBER:
                words.append(("number", _NUMBER))
                continue
            parts = _tokens(chunk)
            for part in parts:
                if not _is_word(part):
                    words.append(("number" if part.isdigit() else "emoji", part))
                else:
                    words.append(("word", _word(part)))
            if parts and chunk.endswith(_STEM) and words[-1][0] == "word":
                words[-1] = ("stem", words[-1][1])
        kept = [(kind, text) for kind, text in words if not (kind == "word" and text in _GLUE)] or words
        if not kept:
            return
        if len(kept) == 1 and kept[0][0] == "word":
            kept = [("alone", kept[0][1])]
        index = len(self._phrases)
        ids = tuple(self._id(kind, text) for kind, text in kept)
        self._phrases.append(_Phrase(written, ids, (len(ids), sum(len(text) for _, text in kept)), ordinary, frozenset(ids[1:])))
        self._starting.setdefault(ids[0], []).append(index)
        if all(kind in ("word", "stem") for kind, _ in words):
            self._add_joined([text for _, text in words], index, stem=words[-1][0] == "stem")

    def _id(self, kind: str, text: str) -> int:
        known = self._ids.get((kind, text))
        if known is not None:
            return known
        new = self._ids[(kind, text)] = len(self._kinds)
        self._kinds.append((kind, text))
        if kind == "number" and text == _NUMBER:
            self._numbers.add(new)
        elif kind == "stem" and len(text) >= _LONG_STEM:
            self._long_stems.setdefault(text[:2], []).append(new)
        elif kind == "stem":
            self._short_stems[text] = new
        else:
            self._exact.setdefault(text, set()).add(new)
            self._longest = max(self._longest, len(text))
            forgiven = _forgiven(text, kind == "alone") if kind in ("word", "alone") else 0
            if forgiven:
                for variant in deletions(text):
                    self._by_deletion.setdefault(variant, set()).add(new)
            if forgiven == 2:
                self._long_words.setdefault(text[:2], []).append(new)
            if kind == "alone" and len(text) >= _WITH_ENDINGS:
                self._alone[text] = new
        return new

    def _add_joined(self, words: list[str], index: int, stem: bool) -> None:
        """The phrase written without spaces, in each SMS spelling, with or without its glue."""
        shortest = _PHRASE_INSIDE if len(words) > 1 else _WORD_INSIDE
        choices = [sorted(_GLUE | {""}) if word in _GLUE else sorted(_VARIANTS.get(word, {word})) for word in words]
        for combination in product(*choices):
            typed = "".join(combination)
            # Squashed as one word is ("wanttood" -> "wanttod"), it can only stand inside one word.
            for form in {typed, _squash(typed)}:
                if len(form) >= shortest:
                    joined = _Joined(form, index, form == typed and len(form) >= _ACROSS, stem)
                    entries = self._joined.setdefault(form, [])
                    if joined not in entries:
                        entries.append(joined)
                    self._joined_lengths.setdefault(form[:_KEY], set()).add(len(form))

    def _word_ids(self, token: str) -> frozenset[int]:
        """Every phrase word ``token`` can be; remembered, since the same words come back."""
        known = self._seen.get(token)
        if known is not None:
            return known
        if not _is_word(token):
            found = set(self._exact.get(token, ()))
            if token.isdigit():
                found |= self._numbers
        else:
            said = _word(token)
            found = set(self._exact.get(said, ()))
            if 4 <= len(said) <= self._longest + 2:  # no word of the list is a typo away from a longer one
                # One slip through the shared deletions; two (in long words) after the right first two letters.
                candidates = {word for variant in deletions(said) for word in self._by_deletion.get(variant, ())}
                candidates.update(self._long_words.get(said[:2], ()) if len(said) >= 6 else ())
                found.update(
                    word for word in candidates - found if _near(said, self._kinds[word][1], self._kinds[word][0] == "alone")
                )
            for end in range(max(1, len(said) - _LONGEST_ENDING), len(said) + 1):
                if said[end:] in _ENDINGS:
                    found.update(ended for table in (self._short_stems, self._alone) if (ended := table.get(said[:end])) is not None)
            found.update(stem for stem in self._long_stems.get(said[:2], ()) if _fits_long_stem(said, self._kinds[stem][1]))
        if len(self._seen) > 50_000:
            self._seen.clear()
        result = self._seen[token] = frozenset(found)
        return result

    def find(self, text: str) -> str | None:
        """The phrase found in ``text``, as written in the list, or None.

        When several fit, the one with the most words wins, then the longest, then the one
        listed first.
        """
        said = _tokens(text)
        if not said:
            return None
        hits = self._word_hits(said) + self._joined_hits(said)
        ordinary = [(first, last) for index, first, last in hits if self._phrases[index].ordinary]
        best: _Phrase | None = None
        for index, first, last in sorted(hits):
            phrase = self._phrases[index]
            if phrase.ordinary or any(start <= first and last <= end for start, end in ordinary):
                continue
            if best is None or phrase.rank > best.rank:
                best = phrase
        return best.written if best is not None else None

    def _word_hits(self, said: list[str]) -> list[tuple[int, int, int]]:
        """(phrase, first token, last token) of every phrase found word by word."""
        seen = self._seen
        ids = [known if (known := seen.get(token)) is not None else self._word_ids(token) for token in said]
        # A phrase whose other words are nowhere in the message is not looked for word by word.
        present = frozenset().union(*ids)
        hits = []
        for start, here in enumerate(ids):
            for word in here:
                for index in self._starting.get(word, ()):
                    phrase = self._phrases[index]
                    if phrase.after_first <= present and (last := self._rest(phrase.words[1:], start, ids, said)) is not None:
                        hits.append((index, start, last))
        return hits

    @staticmethod
    def _rest(words: tuple[int, ...], start: int, ids: list[frozenset[int]], said: list[str]) -> int | None:
        at = start
        for word in words:
            at += 1
            skipped = 0
            while at < len(ids) and word not in ids[at]:
                if _word(said[at]) not in _FILLERS or skipped == _MAX_FILLERS:
                    return None
                at += 1
                skipped += 1
            if at == len(ids):
                return None
        return at

    def _joined_hits(self, said: list[str]) -> list[tuple[int, int, int]]:
        """Phrases written without spaces, or with one too many: the words run together.

        Inside one word anywhere ("jegvilikkelevemere"); over several words only from the start
        of one to the end of another ("selv mord", "kill my self"), so that words which merely
        touch ("want to dye" is not "want to od") are not read as one.
        """
        if not self._joined:
            return []
        owners = [position for position, token in enumerate(said) if token[0].isalnum()]
        pieces = [_squash(said[position]) for position in owners]
        together = "".join(pieces)
        keys = list(self._joined_keys.finditer(together))
        if not keys:
            return []
        starts = list(accumulate(map(len, pieces), initial=0))
        ends = set(starts[1:])
        starts.pop()
        hits = []
        for key in keys:
            at = key.start()
            first = bisect_right(starts, at) - 1
            start, piece = starts[first], pieces[first]
            # From a word's start: within it or over the words after it; later in it: within it only.
            if at >= start + max(1, len(piece) - _PHRASE_INSIDE + 1):
                continue
            for form_length in self._joined_lengths[together[at:at + _KEY]]:
                end = at + form_length
                for joined in self._joined.get(together[at:end], ()):
                    if end == start + len(piece) or (end < start + len(piece) and form_length >= _WORD_INSIDE):
                        # A short form only ends a word ("jegvildø"), else "vildø" is in "civildommer".
                        hits.append((joined.phrase, owners[first], owners[first]))
                    elif joined.spaced and at == start and (joined.stem or end in ends):
                        hits.append((joined.phrase, owners[first], owners[bisect_right(starts, end - 1) - 1]))
        return hits


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression for any of ``words`` as a trie: "ab|ac" is "a(?:b|c)", so the engine
    tries each letter once, not once for every word that begins with it."""
    branches: dict[str, list[str]] = {}
    for word in words:
        branches.setdefault(word[0], []).append(word[1:])
    alternatives = []
    for letter, rests in branches.items():
        longer = [rest for rest in rests if rest]
        if not longer:
            alternatives.append(re.escape(letter))
        else:
            optional = "?" if len(longer) < len(rests) else ""  # a word also ends here
            alternatives.append(f"{re.escape(letter)}(?:{_trie_pattern(longer)}){optional}")
    return "|".join(alternatives)


@lru_cache(maxsize=64)
def _prepared(phrases: tuple[str, ...]) -> Phrases:
    return Phrases(phrases)


def find_phrase(text: str, phrases: Iterable[str]) -> str | None:
    """``Phrases(phrases).find(text)``, with the prepared list kept for the next message."""
    return _prepared(tuple(phrases)).find(text)
