"""Understanding what a young person typed: trigger keywords, yes/no and numbered choices.

Everything is compared in a folded form (``fold``). Case, accents and punctuation go,
because the phone keyboard, autocorrect and a hurry decide those, not the person.
Danish letters are spelled out instead of stripped (æ -> ae, ø -> oe, å -> aa), which is
how Danes write on a keyboard without them: "RAAD" and "RÅD" both become "raad", whereas
stripping would make "råd" into "rad" and "hjælp" into "hjlp". Emoji stay, one token each,
without skin tone or presentation selectors: 👍🏽 is an answer in itself.

Typos are forgiven in proportion to the word: words shorter than 4 letters must be exact
("ja"/"jo"/"nu" are all real words one letter apart), 4-7 letters may have one slip and 8+
letters two, where a slip is a missing, extra, wrong or swapped pair of letters (optimal
string alignment distance). Numbers are never "typos". A letter held down ("jaaaa",
"neeej") counts as the word itself. Opt-out words get no tolerance (``is_exactly``): a
false STOP silences a young person, a missed one only costs a re-send.

Words of danger anywhere in a message, in SMS spelling, are ``bot.core.phrases``' business.

Yes is guarded: a message with a negation in it ("ikke", "not", "nej" ...) never counts as
yes, because a wrong yes ("ok ... ikke rigtig") is far worse than asking again.

``classify_mood`` reads an answer to "Hvordan har du det i dag? 1-5" as a score: a number
beats words, words beat emoji, two different answers or a "not" in front of a good word
make it unclear (None), so the young person is asked again rather than misread as fine.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import combinations

__all__ = [
    "MOOD",
    "YES_NO",
    "Folded",
    "Keywords",
    "Lexicon",
    "begins_with_common_answer",
    "classify",
    "classify_attendance",
    "classify_mood",
    "deletions",
    "edit_distance",
    "fold",
    "folded",
    "is_exactly",
    "keyword_slips",
    "match_choice",
    "matches_keyword",
    "tokens",
]


class Lexicon(Mapping[str, list[str]]):
    """Categories of phrases ("yes": ["ja", "jep", ...]) for ``classify`` and ``match_choice``,
    folded and indexed once, the first time a message is compared with them (a module's lexicons
    are written before the functions that fold them): a flow's answers when the flow loads, the
    built-in ones once per process, never once per message."""

    def __init__(self, categories: Mapping[str, list[str]]) -> None:
        self._categories = dict(categories)

    @classmethod
    def of_choices(cls, options: Sequence[Sequence[str]]) -> Lexicon:
        """Numbered options: named after their place, so a "ja"/"yes" option is not treated as the
        built-in yes."""
        return cls({f"option {i}": list(words) for i, words in enumerate(options)})

    def __getitem__(self, name: str) -> list[str]:
        return self._categories[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._categories)

    def __len__(self) -> int:
        return len(self._categories)

    @cached_property
    def prepared(self) -> _PreparedLexicon:
        return _PreparedLexicon.of(self._categories)


# Phrases are written the way people type them; they are folded when first used. New categories
# ("late", "unsure") can be added as further keys; the longest matching phrase wins, so
# "kommer lidt senere" under "late" would beat "kommer" under "yes" without other changes.
YES_NO = Lexicon({
    "yes": [
        "ja", "jaa", "jaaa", "ja tak", "ja gerne", "ja da", "jada", "jaja", "jah",
        "jep", "jeps", "jepper", "jeb", "jo", "jow", "jo da", "joda",
        "yes", "yess", "yes tak", "yeah", "yea", "ye", "yep", "yup", "y",
        "sure", "of course", "ofc",
        "ok", "okay", "okey", "oki", "okie", "okidoki", "k", "kk",
        "fint", "fint nok", "det er fint", "fedt",
        "klart", "helt klart", "klart nok",
        "selvfølgelig", "selvfølge", "selvf",
        "sikkert", "helt sikkert",
        "gerne", "meget gerne",
        "det gør jeg", "det vil jeg", "det kan jeg", "det kan jeg godt",
        "kan", "kan godt", "jeg kan", "jeg kan godt",
        "kommer", "jeg kommer", "jeg er der", "på vej", "er på vej", "jeg er på vej",
        "deal", "aftale", "det er en aftale", "ingen problem", "intet problem",
        "👍", "✅", "☑️", "✔️", "👌", "🙌", "🤙", "🤝", "💯", "🆗", "😀", "😃", "😄", "😁", "😊", "🙂",
    ],
    "no": [
        "nej", "neej", "nejj", "nej tak", "nej nej", "nej desværre",
        "næ", "næh", "nææ", "nix", "nope", "nah", "no", "no thanks", "n",
        "kan ikke", "kan ikke i dag", "kan ikke idag", "jeg kan ikke", "det kan jeg ikke",
        "ikke i dag", "ikke idag", "ikke nu",
        "kommer ikke", "jeg kommer ikke", "det gør jeg ikke", "det vil jeg ikke",
        "gider ikke", "orker ikke", "har ikke tid", "jeg har ikke tid",
        "desværre", "desværre ikke", "desværre nej",
        "syg", "er syg", "jeg er syg", "sick",
        "cant", "can't", "cannot", "not today",
        "👎", "❌", "🙅", "🚫",
    ],
})

# Any of these in a message rules out yes, wherever they stand ("jeg kommer ikke 👍").
# Replies to a day-of reminder. "kommer lidt senere" must beat "kommer" (longest phrase wins),
# and a negation anywhere keeps a message from counting as a yes.
ATTENDANCE = Lexicon({
    "arrived": [
        "er her", "jeg er her", "nu er jeg her", "så er jeg her", "er kommet", "jeg er kommet", "er ankommet",
        "tjek ind", "tjekker ind", "står udenfor", "i'm here", "im here", "i am here", "here now", "📍",
    ],
    "late": [
        "kommer lidt senere", "kommer senere", "lidt senere", "senere", "kommer lidt sent", "kommer for sent",
        "bliver lidt sent", "bliver sent", "bliver forsinket", "er forsinket", "forsinket", "lidt forsinket",
        "running late", "a bit late", "late", "later", "i'll be late", "⏰", "🏃",
    ],
    "unsure": [
        "måske", "maybe", "ved ikke", "ved det ikke", "det ved jeg ikke", "ikke sikker", "ved ikke endnu",
        "vi ser", "vi får se", "tja", "not sure", "dunno", "idk", "🤷", "🤔",
    ],
    "confirmed": YES_NO["yes"] + ["vi ses", "ses", "ses i aften", "glæder mig", "see you", "be there", "i'll be there"],
    "declined": YES_NO["no"] + ["ikke denne gang", "kan desværre ikke", "bliver hjemme", "ikke i aften", "not tonight"],
})
_MINUTES_LATE = re.compile(r"\b(?:om\s+)?\d{1,3}\s*(?:min|minutter|minutes|mins|m)\b")


def classify_attendance(text: str) -> str | None:
    """arrived, confirmed, declined, late or unsure for a reply to a reminder; None when unclear."""
    if _MINUTES_LATE.search(fold(text)):
        return "late"
    return classify(text, ATTENDANCE)


_NEGATIONS = frozenset({
    "ikke", "ik", "ikk", "nej", "nae", "naeh", "nix", "aldrig",
    "not", "no", "never", "nope", "nah", "cant", "cannot", "dont", "wont",
})
# These open with a negation but mean "fine by me"; the guard forbids calling them yes,
# so they must not be read as no either: better to ask again.
_NOT_A_NO = ("no problem", "no problemo", "no prob", "no stress", "no worries", "no biggie")
# "nr 2", "nummer 2": people copy the way a numbered list is written.
_NUMBER_WORDS = frozenset({"nr", "nummer", "number"})

_DANISH = (("æ", "ae"), ("ø", "oe"), ("å", "aa"))
# Dropped rather than turned into a space, so "don't" stays one word.
_APOSTROPHES = frozenset("'`´‘’ʼ")
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_FLAG_HALF = re.compile("[\U0001F1E6-\U0001F1FF]")
_HELD_KEY = re.compile(r"(.)\1{2,}")


def _is_emoji_char(ch: str) -> bool:
    # Latin-1 symbols (° © ®) are typography, not something a person answers with.
    return ord(ch) > 0xFF and unicodedata.category(ch) == "So"


class _FoldedCharacters(dict[int, str]):
    """What ``fold`` makes of each character, as a ``str.translate`` table: worked out the first
    time the character is seen, so folding a message runs at the speed of ``translate``."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        category = unicodedata.category(ch)
        if category[0] in "LN" and ch not in _APOSTROPHES:
            folded = ch
        elif ch in _APOSTROPHES or category in ("Mn", "Me", "Cf") or code in _SKIN_TONES:
            # Accents, variation selectors, keycap rings, zero-width joiners and skin tones
            # change how a thing looks, not what it says. A joiner needs no space: every
            # emoji becomes its own token anyway.
            folded = ""
        elif _is_emoji_char(ch):
            folded = f" {ch} "
        else:
            folded = " "
        if len(self) < _CHARACTERS_KEPT:
            self[code] = folded
        return folded


# Enough for every script young people write in; a message of rare characters is folded
# without growing the table further.
_CHARACTERS_KEPT = 20_000
_FOLDED_CHARACTERS = _FoldedCharacters()


def _spell_out_danish(text: str) -> str:
    if text.isascii():
        return text
    for letter, spelled in _DANISH:
        text = text.replace(letter, spelled)
    return text


def _is_flag_half(token: str) -> bool:
    return len(token) == 1 and ord(token) in _REGIONAL_INDICATORS


def fold(text: str) -> str:
    """The comparable form of ``text``: "Hjælp!! 👍🏽" -> "hjaelp 👍"."""
    if isinstance(text, Folded):
        return text.folded
    # Compose first so a decomposed "å" (as some phones and macOS send it) is spelled out
    # as "aa" instead of losing its ring; the K also makes full-width "Ｊａ" plain "Ja".
    text = _spell_out_danish(unicodedata.normalize("NFKC", text).casefold())
    spaced = _spell_out_danish(unicodedata.normalize("NFKD", text)).translate(_FOLDED_CHARACTERS)
    if not _FLAG_HALF.search(spaced):
        return " ".join(spaced.split())
    words: list[str] = []
    for token in spaced.split():
        if words and _is_flag_half(token) and _is_flag_half(words[-1]):
            words[-1] += token  # two regional indicators are one flag
        else:
            words.append(token)
    return " ".join(words)


def tokens(text: str) -> list[str]:
    return fold(text).split()


class Folded(str):
    """A message as written that keeps what ``fold`` makes of it. The engine folds each message
    once, as it arrives, and hands this on as the message's text: everything here that is given
    one reads its tokens instead of folding the message again."""

    folded: str
    tokens: tuple[str, ...]
    whole: tuple[str, ...]  # what ``is_exactly`` compares (``_whole``)
    first_word: int | None
    # Where a keyword or an answer may begin: the first token, and the first word ("🙏 hjælp").
    starts: tuple[int, ...]

    def __new__(cls, text: str) -> Folded:
        message = super().__new__(cls, text)
        message.folded = fold(text)
        message.tokens = tuple(message.folded.split())
        if message.folded.isascii():  # no emoji, so every token is a word
            message.whole, message.first_word = message.tokens, (0 if message.tokens else None)
        else:
            message.whole = _whole(message.tokens)
            message.first_word = next((i for i, token in enumerate(message.tokens) if _is_word(token)), None)
        if not message.tokens:
            message.starts = ()
        elif message.first_word in (None, 0):
            message.starts = (0,)
        else:
            message.starts = (0, message.first_word)
        return message


def folded(text: str) -> Folded:
    return text if isinstance(text, Folded) else Folded(text)


def _whole(tokens: Sequence[str]) -> tuple[str, ...]:
    """What a whole message is compared by: its words, or its emoji when it has no words."""
    return tuple(token for token in tokens if _is_word(token)) or tuple(tokens)


@lru_cache(maxsize=4096)
def _phrase(text: str) -> tuple[str, ...]:
    # Lexicons and keywords are compared against every message; fold them once.
    return tuple(tokens(text))


def _is_emoji(token: str) -> bool:
    return _is_emoji_char(token[0])


def _is_word(token: str) -> bool:
    return not _is_emoji_char(token[0])


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Damerau-Levenshtein distance, optimal string alignment variant ("hjelp"/"hjaelp" = 1).

    With a ``limit``, any distance above it may come back as ``limit + 1``: the work stops
    as soon as the strings are known to be further apart than that.
    """
    if a == b:
        return 0
    if not a or not b:
        return len(a) or len(b)
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before_previous[j - 2] + 1)
        if limit is not None and min(current) > limit and min(previous) >= limit:
            # Every later cell builds on one of these two rows plus at least one slip.
            return limit + 1
        before_previous, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=4096)
def _allowed_slips(wanted: str) -> int:
    if any(ch.isdigit() for ch in wanted):
        return 0
    if len(wanted) < 4:
        return 0
    return 1 if len(wanted) < 8 else 2


def _distance(said: str, wanted: str) -> int | None:
    """How many slips turn ``said`` into ``wanted``, or None when too many to be a typo."""
    if said == wanted:
        return 0
    # A key held down only ever makes a word longer: "jaaaa" is "ja".
    if len(said) > len(wanted) + 1 and said.isalpha() and _HELD_KEY.sub(r"\1", said) == wanted:
        return 0
    allowed = _allowed_slips(wanted)
    if allowed == 0 or abs(len(said) - len(wanted)) > allowed or _is_emoji(said) or _is_emoji(wanted):
        return None
    distance = edit_distance(said, wanted, allowed)
    return distance if distance <= allowed else None


@lru_cache(maxsize=4096)
def _run_together(wanted: tuple[str, ...]) -> str | None:
    """"tjekind", "nejtak": the words of a phrase without the space, the first thing a thumb
    leaves out; None for a phrase of one word or with emoji."""
    return "".join(wanted) if len(wanted) > 1 and all(_is_word(token) for token in wanted) else None


def _match_at(said: Sequence[str], start: int, wanted: tuple[str, ...]) -> tuple[int, int] | None:
    """(slips, tokens used) when ``wanted`` starts at ``said[start]``, else None."""
    if not wanted or start >= len(said):
        return None
    if start + len(wanted) <= len(said):
        total = 0
        for got, want in zip(said[start:start + len(wanted)], wanted, strict=True):
            slips = _distance(got, want)
            if slips is None:
                break
            total += slips
        else:
            return total, len(wanted)
    run_together = _run_together(wanted)
    if run_together is not None:
        slips = _distance(said[start], run_together)
        if slips is not None:
            return slips, 1
    return None


def _opening_forms(wanted: tuple[str, ...]) -> tuple[str, ...]:
    """What a token at the start of ``wanted`` is compared with in ``_match_at``: its first token,
    and all its words run together."""
    if not wanted:
        return ()
    run_together = _run_together(wanted)
    return (wanted[0],) if run_together is None else (wanted[0], run_together)


def deletions(word: str, depth: int = 1) -> set[str]:
    """``word`` and every form of it with up to ``depth`` letters left out: two words up to
    ``depth`` slips apart (missing, extra, wrong or swapped letters) share one of these."""
    return {"".join(kept) for length in range(max(0, len(word) - depth), len(word) + 1) for kept in combinations(word, length)}


_WORDS_REMEMBERED = 50_000  # per index; then it starts again, rather than growing without end


class _PhraseIndex:
    """Phrases, and which of them fit a message from a given token on (``_match_at``), found by
    lookups instead of trying every phrase. Only a phrase the token may open is tried: the token
    is one of the phrase's ``_opening_forms``, is one with a key held down, or shares a form with
    it once each has up to the form's allowed slips of letters left out."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self.phrases = list(phrases)
        self._exact: dict[str, set[int]] = {}
        self._by_deletion: dict[str, set[int]] = {}
        # How many letters to leave out of a token of this length to meet any form it could be a
        # slip of: the form's allowed slips, less the letters the token lacks to be as long.
        self._depth_by_length: dict[int, int] = {}
        self._seen: dict[str, frozenset[int]] = {}
        for index, wanted in enumerate(self.phrases):
            for form in _opening_forms(wanted):
                self._exact.setdefault(form, set()).add(index)
                allowed = _allowed_slips(form) if _is_word(form) else 0
                if not allowed:
                    continue
                for variant in deletions(form, allowed):
                    self._by_deletion.setdefault(variant, set()).add(index)
                for length in range(len(form) - allowed, len(form) + allowed + 1):
                    depth = allowed - max(0, len(form) - length)
                    self._depth_by_length[length] = max(self._depth_by_length.get(length, 0), depth)

    def _opened_by(self, token: str) -> frozenset[int]:
        """The phrases ``token`` may open; remembered, since the same words come back."""
        known = self._seen.get(token)
        if known is None:
            if len(self._seen) >= _WORDS_REMEMBERED:
                self._seen.clear()
            known = self._seen[token] = frozenset(self._opened_by_unseen(token))
        return known

    def _opened_by_unseen(self, token: str) -> set[int]:
        found = set(self._exact.get(token, ()))
        if _is_emoji(token):
            return found
        if token.isalpha():
            found.update(self._exact.get(_HELD_KEY.sub(r"\1", token), ()))
        depth = self._depth_by_length.get(len(token))
        if depth is not None:
            for variant in self._by_deletion.keys() & deletions(token, depth):
                found.update(self._by_deletion[variant])
        return found

    def at(self, said: Sequence[str], start: int) -> list[tuple[int, tuple[int, int]]]:
        """(phrase, (slips, tokens used)) for every phrase that fits ``said`` from ``start`` on."""
        if start >= len(said):
            return []
        found = []
        for index in self._opened_by(said[start]):
            hit = _match_at(said, start, self.phrases[index])
            if hit is not None:
                found.append((index, hit))
        return found


def _opening_start(said: Folded, wanted: tuple[str, ...]) -> int | None:
    """Where a message opens with ``wanted``: at its first word, unless ``wanted`` is emoji.
    "🙏 hjælp": an emoji in front is decoration, not a different request."""
    return said.first_word if _is_word(wanted[0]) else 0


class Keywords:
    """Keywords (a flow's triggers, check-in words, STOP), folded and indexed once, when they are
    read, for the two questions each message asks of them: which one is the whole message
    (``exactly``, as ``is_exactly``), and which ones it opens with (``openings``, as
    ``keyword_slips``). A keyword is known by its position in the list."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._index = _PhraseIndex(_phrase(keyword) for keyword in keywords)
        self._wholes: dict[tuple[str, ...], int] = {}
        for index, wanted in enumerate(self._index.phrases):
            if wanted:
                self._wholes.setdefault(_whole(wanted), index)

    def exactly(self, text: str) -> int | None:
        """The first keyword that is the whole message, or None."""
        return self._wholes.get(folded(text).whole)

    def openings(self, text: str) -> list[tuple[int, int]]:
        """(keyword, slips) for every keyword the message opens with, in the keywords' order."""
        said = folded(text)
        return sorted(
            (index, slips)
            for start in said.starts
            for index, (slips, _) in self._index.at(said.tokens, start)
            if start == _opening_start(said, self._index.phrases[index])
        )

    def opening(self, text: str) -> tuple[int, int] | None:
        """(keyword, slips) for the first keyword the message opens with, or None."""
        return next(iter(self.openings(text)), None)


def matches_keyword(text: str, keyword: str) -> bool:
    """Does the message start with the trigger ``keyword`` (typos forgiven, more may follow)?"""
    return keyword_slips(text, keyword) is not None


def keyword_slips(text: str, keyword: str) -> int | None:
    """How many typos the message's start has against ``keyword``; None when it does not start
    with it. 0 is the keyword as written ("help", "HELP!", "heeelp"), which alone may say which
    language the young person chose: "hjlp" is a slip of HELP, not a choice of English."""
    wanted = _phrase(keyword)
    if not wanted:
        return None
    said = folded(text)
    start = _opening_start(said, wanted)
    hit = None if start is None else _match_at(said.tokens, start, wanted)
    return None if hit is None else hit[0]


def begins_with_common_answer(text: str) -> bool:
    """Does the message start with a common answer as written ("helt fint", "ja", "tak")? Such an
    answer is what it says, never a typo of a keyword ("helt" is one slip from HELP)."""
    return any(slips == 0 for _, slips in _common_answers().openings(text))


def is_exactly(text: str, keyword: str) -> bool:
    """Is the whole message ``keyword`` and nothing more (case, accents, punctuation and emoji aside)?"""
    wanted = _phrase(keyword)
    return bool(wanted) and folded(text).whole == _whole(wanted)


_YES_PHRASES = frozenset(_phrase(phrase) for phrase in YES_NO["yes"])
_NO_PHRASES = frozenset(_phrase(phrase) for phrase in YES_NO["no"])
_NOT_A_NO_PHRASES = _PhraseIndex(_phrase(phrase) for phrase in _NOT_A_NO)


def _is_negation(token: str) -> bool:
    return token in _NEGATIONS or _HELD_KEY.sub(r"\1", token) in _NEGATIONS


@dataclass(frozen=True)
class _PreparedLexicon:
    index: _PhraseIndex  # the phrases of every category
    categories: list[int]  # each phrase's category
    emoji_phrases: dict[str, list[int]]  # the phrases of emoji only, by their first emoji
    yes_categories: frozenset[int]  # never found in a message with a negation in it

    @classmethod
    def of(cls, lexicon: Mapping[str, list[str]]) -> _PreparedLexicon:
        phrases = [(category, wanted) for category, words in enumerate(lexicon.values()) for phrase in words if (wanted := _phrase(phrase))]
        emoji_phrases: dict[str, list[int]] = {}
        for entry, (_, wanted) in enumerate(phrases):
            if all(_is_emoji(token) for token in wanted):
                emoji_phrases.setdefault(wanted[0], []).append(entry)
        yes_categories = frozenset(category for category, name in enumerate(lexicon) if fold(name) in ("yes", "ja"))
        index = _PhraseIndex(wanted for _, wanted in phrases)
        return cls(index, [category for category, _ in phrases], emoji_phrases, yes_categories)


def _candidates(said: Folded, lexicon: Lexicon) -> list[tuple[tuple[int, int, int], int]]:
    """Every (rank, category) whose phrase fits the message; higher rank is a better fit.

    Rank: more phrase words, then fewer slips, then earlier in the message.
    """
    prepared = lexicon.prepared
    negated = any(_is_negation(token) for token in said.tokens if _is_word(token))
    not_a_no = bool(_NOT_A_NO_PHRASES.at(said.tokens, 0))

    def refused(category: int, wanted: tuple[str, ...]) -> bool:
        if negated and (category in prepared.yes_categories or wanted in _YES_PHRASES):
            return True
        return not_a_no and wanted in _NO_PHRASES

    found = []
    for start in said.starts:
        for entry, (slips, _) in prepared.index.at(said.tokens, start):
            category, wanted = prepared.categories[entry], prepared.index.phrases[entry]
            if not refused(category, wanted):
                found.append(((len(wanted), -slips, -start), category))
    # "haha 👍": an emoji answer counts wherever it stands.
    for start, token in enumerate(said.tokens):
        for entry in prepared.emoji_phrases.get(token, ()):
            category, wanted = prepared.categories[entry], prepared.index.phrases[entry]
            if not refused(category, wanted) and said.tokens[start:start + len(wanted)] == wanted:
                found.append(((len(wanted), 0, -start), category))
    return found


def _lexicon(categories: Mapping[str, list[str]]) -> Lexicon:
    # A lexicon made for one message (a test's, a list of offered times) is prepared for it alone.
    return categories if isinstance(categories, Lexicon) else Lexicon(categories)


def classify(text: str, lexicon: Mapping[str, list[str]]) -> str | None:
    """The ``lexicon`` category the message opens with ("ja tak, vi ses" -> "yes"), or None.

    The longest matching phrase wins ("kan ikke" beats "kan"); then the fewest typos, then
    the phrase earliest in the message, then the category listed first.
    """
    said = folded(text)
    if not said.tokens:
        return None
    prepared = _lexicon(lexicon)
    found = _candidates(said, prepared)
    if not found:
        return None
    _, index = max(found, key=lambda item: (item[0], -item[1]))
    return list(prepared)[index]


def _number_choice(said: Folded, count: int) -> int | None:
    first = said.first_word
    if first is None:
        return None
    token = said.tokens[first]
    if token in _NUMBER_WORDS and first + 1 < len(said.tokens):
        token = said.tokens[first + 1]
    elif token.startswith("nr") and token[2:].isdigit():
        token = token[2:]  # "nr.2" folds to "nr 2", but "nr2" is one word
    if token.isdigit() and 1 <= int(token) <= count:
        return int(token) - 1
    return None


def match_choice(text: str, options: Sequence[Sequence[str]] | Lexicon) -> int | None:
    """Which option (0-based) the message picks: by its number ("2", "2.", "nr 2") or its words.

    ``options``: each option's words, or the same prepared once (``Lexicon.of_choices``). None
    when nothing fits, or when two options fit equally well.
    """
    said = folded(text)
    if not said.tokens or not options:
        return None
    number = _number_choice(said, len(options))
    if number is not None:
        return number
    found = _candidates(said, options if isinstance(options, Lexicon) else Lexicon.of_choices(options))
    if not found:
        return None
    best = max(rank for rank, _ in found)
    picked = {index for rank, index in found if rank == best}
    return picked.pop() if len(picked) == 1 else None


# Answers to "Hvordan har du det i dag? 1-5", by score: 1 is very bad, 5 very good. The keys
# are strings so the lexicon also works with ``classify``; none is "yes", so its guard stays out.
# A negated phrase is listed where it lands ("ikke godt" is 2, "ikke så dårligt" 3): the longest
# phrase wins, so it beats the word it contains. Words that could be a mood but are mostly
# something else are left out on purpose: "glad" is one slip from "gad" ("jeg gad ikke ..."),
# "fedt" from "fest", "nede" is also "down in town", and a bare "lort"/"shit" is a curse.
# The emoji are the faces, hands and hearts young people answer with; each one's score is in
# tests/corpus/mood_emoji.yaml (run by the tests) and docs/flows.md. Those that mean too many
# things (🥹 🤔 💀 🖤) are left out, so they are asked about again.
MOOD = Lexicon({
    "1": [
        "rigtig dårligt", "rigtig skidt", "rigtig træls", "meget dårligt", "meget skidt",
        "mega dårligt", "mega skidt", "mega træls", "super dårligt", "super skidt", "super træls",
        "pisse dårligt", "pisse skidt", "pisse træls", "vildt dårligt", "vildt skidt",
        "virkelig dårligt", "virkelig skidt", "helt elendigt", "slet ikke godt", "slet ikke godt overhovedet",
        "elendigt", "forfærdeligt", "frygteligt", "horribelt", "håbløst",
        "lorte dag", "noget lort", "bare lort", "skod", "skod dag", "møg dag", "ad helvede til",
        "terrible", "awful", "horrible", "miserable", "really bad", "very bad", "so bad", "super bad",
        "the worst", "worst day", "worst day ever", "like shit", "shitty", "really not good", "not good at all",
        "😞", "😢", "😭", "💔", "😿", "🤬",
    ],
    "2": [
        "dårligt", "skidt", "træls", "nedtrykt", "trist", "ked af det", "lidt ked af det",
        "lidt dårligt", "lidt skidt", "lidt træls", "lidt nede", "ret dårligt", "ret skidt",
        "ikke godt", "ikke så godt", "ikke særlig godt", "ikke rigtig godt", "ikke helt godt",
        "ikke fint", "ikke så fint", "ikke ok", "ikke okay", "ikke det bedste", "ikke glad", "ikke så glad",
        "kunne være bedre",
        "bad", "sad", "down", "unhappy", "pretty bad", "not good", "not great", "not so good", "not too good",
        "not very good", "not well", "not ok", "not okay", "not fine", "not the best", "not happy",
        "not feeling good", "dont feel good", "could be better",
        "🙁", "😕", "😔", "☹️", "😟", "😡", "😠", "😤", "😒", "😩", "😫", "😖", "😣", "😥", "😓",
        "😰", "😨", "😱", "🥺", "🥲", "😪", "🤒", "🤕", "🤢", "🤮", "👎",
    ],
    "3": [
        "ok", "okay", "okey", "oki", "ok ish", "okay ish", "fint nok", "ok nok",
        "middel", "middelmådigt", "sådan", "sådan da", "sådan lidt", "sådan sådan", "både og",
        "både godt og skidt", "midt imellem", "mellem", "nogenlunde", "jævnt", "halvgodt", "op og ned",
        "ikke dårligt", "ikke så dårligt", "ikke særlig dårligt", "ikke skidt", "ikke så skidt",
        "ikke så slemt", "ikke så værst", "ikke noget særligt", "intet særligt", "ikke super",
        "ikke super godt", "ikke fantastisk", "kunne være værre",
        "meh", "mæh", "so so", "soso", "fine", "fine ish", "alright", "all right", "average",
        "not bad", "not too bad", "not to bad", "not so bad", "not that bad", "nothing special",
        "could be worse", "in between", "up and down", "ups and downs",
        "😐", "😶", "🤷", "😑", "🫤", "😬", "🙃", "😅", "😮‍💨", "🫠", "😴", "🥱", "❤️‍🩹",
    ],
    "4": [
        "godt", "god", "fint", "fin", "ret godt", "ret fint", "helt fint", "ikke værst",
        "kan ikke klage",
        "good", "pretty good", "quite good", "nice", "happy", "doing well", "pretty well", "cant complain",
        "🙂", "😊", "👍", "☺️", "😌", "😉", "😎", "🤗", "😂", "🤣", "👌", "💪",
    ],
    "5": [
        "rigtig godt", "rigtig fint", "rigtig glad", "meget godt", "mega godt", "mega fint", "mega glad",
        "super", "super godt", "super fint", "super glad", "pisse godt", "vildt godt", "helt vildt godt",
        "virkelig godt", "sindssygt godt", "skide godt", "fantastisk", "helt fantastisk", "perfekt",
        "strålende", "fremragende", "bedste dag",
        "great", "amazing", "really good", "very good", "so good", "super good", "awesome", "perfect",
        "fantastic", "excellent", "wonderful", "the best", "best day", "gr8",
        "😄", "😀", "😁", "😃", "🥳", "😍", "🤩", "🥰", "❤️", "😆", "🙌",
        "♥️", "💕", "💖", "💗", "💓", "💞", "💘", "🧡", "💛", "💚", "💙", "💜", "🤍", "🫶",
    ],
})

# Words young people answer questions with. A keyword that takes one from its question starts a
# conversation instead of the answer being heard ("FOOD" caught "good"): flows check warns of it
# (bot.flows.loader), and a typo of a keyword never beats one written as it is.
COMMON_ANSWERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("a common yes", tuple(YES_NO["yes"])),
    ("a common no", tuple(YES_NO["no"])),
    ("a common reply to the day-of message", tuple(word for words in ATTENDANCE.values() for word in words)),
    ("a common answer to how someone is", tuple(word for words in MOOD.values() for word in words)),
    ("a common thank-you", ("tak", "mange tak", "tusind tak", "thanks", "thank you")),
)


@lru_cache(maxsize=1)
def _common_answers() -> Keywords:
    # Prepared at the first typo of a keyword, not by every process that imports this module.
    return Keywords(answer for _, answers in COMMON_ANSWERS for answer in answers)

# "4/5" and "2 ud af 5" name the scale, not a second answer. The slash goes before folding,
# which would turn it into a space ("4 5", two numbers).
_SLASH_FIVE = re.compile(r"(?<!\d)(\d)\s*/\s*5(?!\d)")
_OUT_OF_FIVE = re.compile(r"\b(?:ud af|af|out of|of)\s+5\b")
# "4", "nr4", "en 2'er" ("2er" once the apostrophe goes), "3ish".
_SCORE = re.compile(r"(?:nr|nummer|number)?(\d+)(?:er|ern|eren|ere|ish)?")
_SCORE_NOUNS = {"ener": 1, "toer": 2, "treer": 3, "firer": 4, "femmer": 5}
# Only a whole message: "en lorte dag", "to", "fire" (English) are words far more often.
_SPELLED_SCORES = {
    "en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}
# Short words get no slips, so the ways a thumb writes these two are spelled out: "ik godt",
# "ikke sa godt" (å typed as a), "ikke sååå godt" (a held key leaves "sa" too).
_MOOD_SPELLINGS = {"ik": "ikke", "sa": "saa"}
# Negations that say "not" about what follows. "nej", "no", "nah" are left out: "nej, det går
# fint" and "nah I'm good" answer something else ("are you sad?") and then say how it is.
_MOOD_NEGATIONS = (_NEGATIONS - {"nej", "nae", "naeh", "nix", "no", "nope", "nah"}) | {
    "isnt", "arent", "aint", "doesnt", "didnt", "havent", "hasnt", "wasnt", "werent",
}


def _mood_number(text: str) -> int | bool | None:
    """The score written as a number; None when none is; False when numbers there don't make one score."""
    said = tokens(_SLASH_FIVE.sub(r"\1 ", unicodedata.normalize("NFKC", text)))
    words = [token for token in said if _is_word(token)]
    if len(words) == 1 and words[0] in _SPELLED_SCORES:
        return _SPELLED_SCORES[words[0]]
    found: set[int] = set()
    for token in _OUT_OF_FIVE.sub(" ", " ".join(words)).split():
        if (number := _SCORE.fullmatch(token)) is not None:
            found.add(int(number.group(1)))
        elif token in _SCORE_NOUNS:
            found.add(_SCORE_NOUNS[token])
    if not found:
        return None
    if len(found) == 1 and 1 <= (score := found.pop()) <= 5:
        return score
    return False  # "3 eller 4", "6", "0", "kl 10": ask again


def _mood_words(said: list[str]) -> int | None:
    """The score the message's words, or else its emoji, say; None when unclear."""
    best: tuple[bool, int, int] | None = None
    winners: list[tuple[int, int]] = []  # (score, start) of every match as good as the best
    prepared = MOOD.prepared
    scores = [int(name) for name in MOOD]
    for start in range(len(said)):
        for entry, (slips, used) in prepared.index.at(said, start):
            category, wanted = prepared.categories[entry], prepared.index.phrases[entry]
            if slips and any(token in _SPELLED_SCORES for token in said[start:start + used]):
                continue  # "fire" is 4, not a slip of "fine"; numbers are never typos
            # Words over emoji ("dårligt 🙂" is a polite smile), then more words, then fewer slips.
            rank = (_is_word(wanted[0]), len(wanted), -slips)
            if best is None or rank > best:
                best, winners = rank, []
            if rank == best:
                winners.append((scores[category], start))
    scores = {score for score, _ in winners}
    if len(scores) != 1:
        return None  # nothing fits, or "ok, skidt": two answers as good as each other
    score = scores.pop()
    if score >= 3 and any(
        _HELD_KEY.sub(r"\1", token) in _MOOD_NEGATIONS for _, start in winners for token in said[:start]
    ):
        return None  # "har ikke haft det godt": a "not" no phrase took in is never read as fine
    return score


def classify_mood(text: str) -> int | None:
    """How the young person says they are, 1 (very bad) to 5 (very good); None when unclear.

    A number anywhere decides ("jeg vil sige 4", "4/5", "en 2'er", "2, men det er fint" is 2);
    a number word only as the whole message ("fire"); two different numbers ("3 eller 4") or one
    off the scale ("0", "6") are unclear. Without a number, the words decide the way ``classify``
    does, longest phrase first, but anywhere in the message ("i dag har jeg det rigtig godt"),
    and a negation of its own makes the phrase ("ikke godt" is 2, "not bad" 3). Emoji count
    wherever they stand, but only when no words fit. ``classify`` itself is not used: it reads
    only how a message opens, and its yes-guard would drop "ok", "fint" and 🙂 after any "ikke".
    """
    number = _mood_number(text)
    if number is not None:
        return number or None
    said = [_MOOD_SPELLINGS.get(_HELD_KEY.sub(r"\1", token), token) for token in tokens(text)]
    return _mood_words(said) if said else None
