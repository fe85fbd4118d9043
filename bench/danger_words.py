"""How fast and how well the words of danger are found, on this machine.

    .venv/bin/python bench/danger_words.py            # 1,600 characters, 200 runs a line
    .venv/bin/python bench/danger_words.py --length 3200 --runs 500

The list is the one the bot serves: the built-in words and ``flows/raadgivning.yaml``'s. Timed is
``Counselling.danger_in`` on a message of ``--length`` characters made of the corpus's ordinary
messages (so nothing is found and every phrase is tried to the end), the same in emoji and no
spaces, and a message that ends in danger, each read again and again (a running worker has seen
most words before); then messages of words never seen, made up anew for every run (random
letters, æøå among them, 2 to 12 a word): the worst case. Then the corpus (``tests/corpus/danger.yaml``): how many messages of danger were
found and how many ordinary ones gave a false alarm. Exit status 1 if a median is 5 ms or more,
or a message of danger was missed.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

from bot.flows.counselling import Counselling, CounsellingFile

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "tests" / "corpus" / "danger.yaml"
LIMIT_MS = 5.0


def service() -> Counselling:
    """The counselling file as shipped, prepared as the flows prepare it when they load."""
    return CounsellingFile.model_validate(yaml.safe_load((PROJECT / "flows" / "raadgivning.yaml").read_text())).counselling


def corpus() -> dict[str, list[str]]:
    return yaml.safe_load(CORPUS.read_text())


def long_message(length: int, ordinary: list[str]) -> str:
    """``length`` characters of ordinary messages, one after the other."""
    text = ""
    while len(text) < length:
        text += " ".join(ordinary) + " "
    return text[:length]


def new_words(length: int, chance: random.Random) -> str:
    """``length`` characters of words nobody has written before."""
    letters = "abcdefghijklmnopqrstuvwxyzæøå"
    text = ""
    while len(text) < length:
        text += "".join(chance.choice(letters) for _ in range(chance.randint(2, 12))) + " "
    return text[:length]


def milliseconds(read, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        read(text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(length: int = 1600, runs: int = 200) -> dict:
    messages = corpus()
    started = time.perf_counter()
    shipped = service()
    prepared_ms = (time.perf_counter() - started) * 1000
    ordinary = long_message(length, messages["ordinary"])
    danger_at_the_end = " jeg vil ikk leve mer"
    repeated = {
        "ordinary words": ordinary,
        "danger at the end": ordinary[: length - len(danger_at_the_end)] + danger_at_the_end,
        "no spaces": "".join(long_message(2 * length, messages["ordinary"]).split())[:length],
        "emoji": ("😂🙏❤️👍 " * length)[:length],
    }
    shipped.danger_in(ordinary)  # its words seen once, as a running worker has seen them
    timings = {name: milliseconds(shipped.danger_in, [text] * runs) for name, text in repeated.items()}
    chance = random.Random(13)
    timings["words never seen"] = milliseconds(shipped.danger_in, [new_words(length, chance) for _ in range(runs)])
    lines = [
        f"{name:18} {length:5} chars   median {statistics.median(times):5.2f} ms   p95 {_p95(times):5.2f} ms   max {max(times):5.2f} ms"
        for name, times in timings.items()
    ]
    found = [text for text in messages["danger"] if shipped.danger_in(text) is not None]
    alarms = [text for text in messages["ordinary"] if shipped.danger_in(text) is not None]
    problems = [
        f"{name}: the median is {statistics.median(times):.2f} ms, not under {LIMIT_MS} ms"
        for name, times in timings.items()
        if statistics.median(times) >= LIMIT_MS
    ]
    if len(found) < len(messages["danger"]):
        problems.append(f"missed: {sorted(set(messages['danger']) - set(found))}")
    return {
        "prepared_ms": prepared_ms,
        "lines": lines,
        "recall": f"{len(found)} of {len(messages['danger'])} messages of danger found",
        "false_alarms": alarms,
        "ordinary": len(messages["ordinary"]),
        "problems": problems,
    }


def _p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1600, help="characters in the long message")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per line")
    arguments = parser.parse_args()
    result = run(arguments.length, arguments.runs)
    print(f"list prepared (built-in words and flows/raadgivning.yaml's) in {result['prepared_ms']:.1f} ms")
    for line in result["lines"]:
        print(line)
    print(result["recall"])
    print(f"{len(result['false_alarms'])} false alarms of {result['ordinary']} ordinary messages:")
    for text in result["false_alarms"]:
        print(f"  {text}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
