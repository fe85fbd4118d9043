"""Words of acute danger: the ones always looked for, and ordinary phrases that only resemble them.

Intent ("vil ikke leve mere", "kms") is not enough: Crisis Text Line found in 129 million
messages that the pill emoji and the names of painkillers ("ibuprofen*", "800mg") foretold an
emergency several times more often than the word "suicide". So the means and the plan count as
much as the wish: pills and their names, an amount in mg, a rope round the neck, the train, the
bridge, a knife, a razor blade. A question about a painkiller ("panodil mod hovedpine?") is
flagged too, on purpose: a counsellor reads it and shrugs, which costs far less than the one
that was not a question. ``tests/corpus/danger.yaml`` measures the list: every message of
danger found, the false alarms counted.

The phrases are written the way ``bot.core.phrases`` reads them (``*`` a stem, ``#`` a number,
spellings and typos forgiven). Staff add their own in the counselling file (``danger_words``);
these always apply, with or without one.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from bot.core.phrases import Phrases

__all__ = ["BUILT_IN", "ORDINARY", "words_of_danger"]

BUILT_IN: dict[str, list[str]] = {
    "wish to die (da)": [
        "selvmord*", "suicid*", "sewerslide", "sewer slide",
        "vil ikke leve", "ville ikke leve", "gider ikke leve", "orker ikke at leve", "ikke lyst til at leve",
        "ikke leve mere", "ikke leve længere", "ingen grund til at leve", "ikke værd at leve", "holde ud at leve",
        "vil dø", "ville dø", "lyst til at dø", "ønsker at dø", "ønske at dø", "håber jeg dør", "for at dø",
        "burde dø", "fortjener at dø", "om jeg lever eller dør", "lige meget om jeg lever", "ligegyldigt om jeg lever",
        "gid jeg var død", "ønske jeg var død", "bare var død", "hvis jeg var død", "vil være død", "ville være død",
        "ønsker mig død", "ikke vågne igen", "ikke vågne op igen", "aldrig vågne op", "sove for evigt", "sove for altid",
        "livet giver ingen mening", "fået nok af livet", "træt af livet", "træt af at leve", "orker ikke livet",
        "gider ikke livet", "ingen udvej", "nogen udvej", "ingen vej ud", "ikke eksistere", "ikke findes mere",
        "ikke være her mere", "ikke være her længere", "ikke lyst til at være her", "ikke er her i morgen",
        "forsvinde for altid", "væk for altid", "væk for evigt", "farvel for altid", "skrevet farvel",
        "afskedsbrev", "farvelbrev", "bedre uden mig", "ingen vil savne mig", "ingen ville savne mig",
        "en byrde for alle", "jeg er en byrde",
        "slå mig selv ihjel", "slår mig selv ihjel", "slå mig ihjel", "dræbe mig selv", "dræber mig selv", "dræbe mig",
        "myrde mig selv", "tag* mit liv", "tag* mit eget liv", "livet af mig", "ende mit liv", "ende det hele",
        "en ende på mig selv", "en ende på det hele",
    ],
    "hurting oneself (da)": [
        "skære i mig", "skære mig selv", "skar mig", "skærer mig", "skære i armen", "skære i armene",
        "skære i mine arme", "lyst til at skære mig", "rids* mig", "cutter", "cutte", "cuttet", "selvskad*",
        "skade mig selv", "skader mig selv", "skadet mig selv", "skade på mig selv", "gør mig selv fortræd",
        "gøre mig selv fortræd", "noget dumt mod mig selv", "brænd* mig selv", "brænd* mig med", "slår mig selv",
        "skyde mig", "barberblad*",
    ],
    "means and plan (da)": [
        "piller", "tabletter", "sovepiller", "sovemedicin", "# mg", "en hel pakke", "hele pakken", "hele glasset",
        "dødelig dosis", "overdosis", "overdosere", "overdosering",
        "panodil", "pamol", "pinex", "paracetamol", "ipren", "ibuprofen", "ibumetin", "ibux", "burana", "treo",
        "kodimagnyl", "magnyl", "aspirin", "citodon", "kodein", "tramadol", "oxycodon", "morfin", "stesolid",
        "imovane", "zopiclon",
        "et reb", "rebet", "reb om", "købt reb", "strik om halsen", "snor om halsen", "om min hals",
        "en løkke", "løkken", "løkke om", "hæng* mig",
        "hopp* ud foran", "hop ud foran", "spring* ud foran", "kaste mig ud foran", "gå ud foran", "foran toget",
        "foran et tog", "under toget", "ud foran en bil", "hopp* ud fra", "spring* ud fra", "hopp* ud af vinduet",
        "spring* ud af vinduet", "hopp* fra broen", "spring* fra broen", "står på broen", "står på taget",
        "på skinnerne", "kniv*",
        "💊", "🔪", "🪢", "🩸",
    ],
    "violence (da)": [
        "slår mig", "slog mig", "slået mig", "spark* mig", "kvæler mig", "kvalt mig", "tæsker mig", "banker mig",
        "truer med at slå", "truer med at dræbe", "truer mig", "truet mig", "truede mig", "truet på livet",
        "voldtag*", "misbrugt", "misbruger mig", "rører ved mig", "tvang mig til sex", "tvunget til sex",
    ],
    "wish to die (en)": [
        "kill myself", "killing myself", "kms", "end my life", "end it all", "take my life", "take my own life",
        "want to die", "wish i could die", "wish i was dead", "wish i were dead", "better off dead",
        "better off without me", "dont want to live", "not want to live", "dont want to be alive",
        "not want to be alive", "dont want to be here anymore", "not want to be here anymore", "no reason to live",
        "unalive*", "disappear forever", "self delet*", "selfdelet*", "not wake up", "never wake up",
        "dont wake up", "stop existing", "dont want to exist", "not want to exist", "tired of living",
        "not worth living", "cant go on", "no way out", "sleep forever", "nobody would miss me",
        "no one would miss me", "nobody will miss me", "burden to everyone", "plan to end it", "plan to kill myself",
        "planning to end it",
    ],
    "hurting oneself (en)": [
        "self harm", "selfharm", "self harming", "cut myself", "cutting myself", "cutting again", "been cutting",
        "started cutting", "hurt myself", "hurting myself", "harm myself", "harming myself", "slit my wrists",
    ],
    "means and plan (en)": [
        "pills", "lethal dose", "overdose", "overdosing", "painkillers", "acetaminophen", "tylenol", "advil",
        "morphine", "oxycodone", "codeine", "gonna od", "going to od", "want to od", "i od", "od on", "an od",
        "rope", "make a noose", "tie a noose", "noose around", "hang myself", "hanging myself", "jump off",
        "jump in front of", "in front of a train", "razor blade*", "knife",
    ],
    "violence (en)": [
        "hits me", "beats me", "beat me up", "kicks me", "chokes me", "choked me", "strangles me", "rape*", "raped",
        "raping", "abused", "abuses me", "threatens to kill", "threatened to kill", "touches me",
        "forced me to have sex",
    ],
}

# Ordinary phrases that contain a word of danger: a hit wholly inside one of them is no alarm.
ORDINARY: list[str] = [
    "kniv* og gaffel", "kniv* og gafler", "knife and fork", "knives and forks",
    "p piller", "p pille", "p pillen", "pille ved",
    "det slår mig", "slår mig ned", "slå mig ned", "slog mig ned",
    "# kms", "cutter video*", "skar mig på", "skåret mig på", "selvmodsig*",
]


@lru_cache(maxsize=16)
def _prepared(extra: tuple[str, ...], ordinary: tuple[str, ...]) -> Phrases:
    return Phrases([*(phrase for phrases in BUILT_IN.values() for phrase in phrases), *extra], [*ORDINARY, *ordinary])


def words_of_danger(extra: Iterable[str] = (), ordinary: Iterable[str] = ()) -> Phrases:
    """The built-in words of danger and ``extra`` ones, ready to ``find`` (prepared once per list)."""
    return _prepared(tuple(extra), tuple(ordinary))
