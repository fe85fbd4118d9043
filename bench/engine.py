"""How many messages the flow engine answers per second, on this machine.

    .venv/bin/python bench/engine.py                   # 20,000 messages a round, 5 rounds
    .venv/bin/python bench/engine.py --messages 50000 --rounds 3

Timed is ``bot.engine.handle`` alone (no database, no queue) with the flows the bot ships
(``flows/``, loaded as the app loads them), on messages the way young people write them: the
keywords in any case, with typos, emoji and words after them; check-in words; answers to open
questions, yes/no, mood and day-of replies; emoji alone; numbers; long messages; messages of
danger from ``tests/corpus/danger.yaml``. Half arrive without a conversation, half in the middle
of one (every step a keyword reaches, a day-of reply, a mood check-in), mostly with an answer that
fits the step. Every round makes up its own messages, each one different from the rest, so no
cache of a message seen before can explain the speed. Exit status 1 if the best round is under
20,000 messages a second; the spread of the rounds and the load of the machine are printed, as
other work on a 2-core machine shows up in them.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot import engine
from bot.core import textmatch
from bot.engine.actions import ContactView, IncomingText, State
from bot.flows.flowset import FlowSet
from bot.flows.loader import load_flows

PROJECT = Path(__file__).resolve().parent.parent
DANGER_CORPUS = PROJECT / "tests" / "corpus" / "danger.yaml"
TARGET = 20_000  # handle() calls a second
ZONE = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

NAMES = [
    "Sofie", "Ali", "Emma", "Noah", "Freja", "Mohammed", "Ida", "Oscar", "Alma", "Victor", "Aya", "Malthe",
    "Clara", "Yusuf", "Karla", "William", "Zainab", "Lucas", "Ella", "Emil", "Nora", "Mikkel", "Sara", "Jonas",
]
OPENINGS = [
    "hej", "hey", "hejsa", "yo", "hallo", "hi", "halløj", "godmorgen", "hej igen", "undskyld", "øhm", "hmm",
]
QUESTIONS = [
    "hvornår åbner i", "kan jeg tage en ven med", "hvad koster det", "er der nogen i dag", "hvor ligger det",
    "må man komme selvom man ikke er med", "hvem er der i aften", "kan jeg snakke med en voksen", "hvad laver i",
    "har i wifi", "er der mad", "skal man melde sig", "hvornår lukker i", "kan man spille musik", "er det gratis",
    "what time do you open", "can i bring a friend", "is anyone there", "where is it", "do i need to sign up",
    "jeg ved ikke helt hvad jeg skal", "min mor siger jeg skal skrive", "jeg har det lidt svært for tiden",
    "jeg kan ikke finde vej", "bussen er forsinket", "jeg har glemt min oplader", "må jeg låne en guitar",
]
ENDINGS = ["", "?", "??", "!", "...", " 🙂", " 😅", " 🙏", " haha", " lol", " tak", " pls", " i dag", " i aften", " nu"]
DECORATIONS = ["", "", "", "!", "!!", "?", ".", " 🙏", " 👍🏽", " ❤️", " 😊"]
EMOJI = ["👍", "👍🏽", "❤️", "😂", "🙏", "😭", "🥺", "😊", "🔥", "💯", "😅", "🤷‍♀️", "👋", "🙌", "😴", "🇩🇰"]


def flowset() -> FlowSet:
    """The flows the bot ships, loaded the way the app loads them."""
    result = load_flows(PROJECT / "flows")
    assert result.errors == [], result.errors
    return result.flowset


@dataclass(frozen=True)
class Waiting:
    """A conversation in the middle of a flow, and what fits as the next message there."""

    state: State
    answer: Callable[[], str]


class Messages:
    """Makes up messages the way young people write them; ``chance`` decides every choice."""

    def __init__(self, flows: FlowSet, chance: random.Random) -> None:
        self.chance = chance
        self.keywords = [keyword for flow in flows.flows.values() for keyword, _ in flow.keywords()]
        self.checkin_words = sorted({word for community in flows.communities.values() if community.meets for word in community.checkin.words})
        danger = yaml.safe_load(DANGER_CORPUS.read_text())
        self.danger = danger["danger"]
        self.ordinary = danger["ordinary"]
        self.kinds: list[tuple[Callable[[], str], int]] = [
            (self.keyword, 30), (self.checkin, 8), (self.question, 20), (self.yes_no, 10), (self.mood, 6),
            (self.attendance, 6), (self.emoji, 5), (self.number, 5), (self.long, 4), (self.words_of_danger, 6),
        ]

    def any(self) -> str:
        makers, weights = zip(*self.kinds, strict=True)
        return self.chance.choices(makers, weights)[0]()

    def keyword(self) -> str:
        word = self._spelled(self.chance.choice(self.keywords))
        if self.chance.random() < 0.3:
            word = self._slip(word)
        before = self.chance.choice(["", "", "", "🙏 ", "hej ", "👋 "])
        after = self.chance.choice(["", "", "", " mig", " tak", " i aften?", " pls", " nu", f" {self.chance.choice(NAMES)}"])
        return before + word + after + self.chance.choice(DECORATIONS)

    def checkin(self) -> str:
        return self._spelled(self.chance.choice(self.checkin_words)) + self.chance.choice(DECORATIONS)

    def question(self) -> str:
        opening = self.chance.choice(OPENINGS) + self.chance.choice([" ", ", ", "! "])
        return opening * (self.chance.random() < 0.6) + self.chance.choice(QUESTIONS) + self.chance.choice(ENDINGS)

    def name(self) -> str:
        name = self.chance.choice(NAMES)
        return self.chance.choice([name, name.lower(), f"jeg hedder {name}", f"{name} {self.chance.choice(NAMES)}sen", f"{name}!"])

    def yes_no(self) -> str:
        answer = self.chance.choice(textmatch.YES_NO[self.chance.choice(["yes", "no"])])
        return self._spelled(answer) + self.chance.choice(["", "", " tak", " vi ses", " desværre", " 😊", "!"])

    def mood(self) -> str:
        if self.chance.random() < 0.3:
            return self.chance.choice(["", "jeg vil sige ", "nok en "]) + f"{self.chance.randint(1, 5)}" + self.chance.choice(["", "/5", "'er", " ud af 5"])
        return self._spelled(self.chance.choice(textmatch.MOOD[str(self.chance.randint(1, 5))])) + self.chance.choice(ENDINGS)

    def attendance(self) -> str:
        words = self.chance.choice(list(textmatch.ATTENDANCE.values()))
        return self._spelled(self.chance.choice(words)) + self.chance.choice(ENDINGS)

    def emoji(self) -> str:
        return " ".join(self.chance.choices(EMOJI, k=self.chance.randint(1, 4)))

    def number(self) -> str:
        return self.chance.choice([
            f"{self.chance.randint(1, 9)}", f"nr {self.chance.randint(1, 5)}", f"{self.chance.randint(100000, 999999)}",
            f"+45 {self.chance.randint(20, 99)} {self.chance.randint(10, 99)} {self.chance.randint(10, 99)} {self.chance.randint(10, 99)}",
            f"kl {self.chance.randint(10, 21)}", f"{self.chance.randint(2, 40)} min",
        ])

    def long(self) -> str:
        return " ".join(self.chance.choices(self.ordinary + QUESTIONS, k=self.chance.randint(6, 25)))

    def words_of_danger(self) -> str:
        text = self.chance.choice(self.danger)
        return self.chance.choice(["", "", "hej ", "undskyld men ", f"{self.chance.choice(QUESTIONS)}. "]) + text + self.chance.choice(ENDINGS)

    def _spelled(self, text: str) -> str:
        """As a thumb writes it: any case, now and then a letter held down."""
        text = self.chance.choice([text, text.lower(), text.upper(), text.capitalize(), text.swapcase()])
        if self.chance.random() < 0.1 and text:
            at = self.chance.randrange(len(text))
            text = text[:at] + text[at] * 3 + text[at + 1:]
        return text

    def _slip(self, word: str) -> str:
        """One missing, extra, wrong or swapped letter."""
        if len(word) < 2:
            return word
        at = self.chance.randrange(len(word) - 1)
        letter = self.chance.choice("abcdefghijklmnopqrstuvwxyzæøå")
        return self.chance.choice([
            word[:at] + word[at + 1:],
            word[:at] + letter + word[at:],
            word[:at] + letter + word[at + 1:],
            word[:at] + word[at + 1] + word[at] + word[at + 2:],
        ])


def waiting_conversations(flows: FlowSet, messages: Messages) -> list[Waiting]:
    """Every step a keyword leads to that waits (reached through the engine itself, each answered
    as it asks), and the conversations the edge starts: a day-of reply and a mood check-in."""
    conversations: list[Waiting] = []
    reached: set[tuple[str, str]] = set()
    for keyword in messages.keywords:
        outcome = engine.handle(flows, ContactView(), None, IncomingText(keyword), NOW, ZONE)
        while outcome.state is not None and (outcome.state.flow, outcome.state.step) not in reached:
            state = outcome.state
            reached.add((state.flow, state.step))
            answer = _fitting_answer(messages, state.step, type(flows.flows[state.flow].steps[state.step]).__name__)
            conversations.append(Waiting(state, answer))
            outcome = engine.handle(flows, ContactView(), state, IncomingText(answer()), NOW, ZONE)
    expires = NOW + timedelta(hours=6)
    for name, flow in flows.flows.items():
        step_type = type(flow.steps[flow.first_step()]).__name__
        if step_type == "MoodStep":
            conversations.append(Waiting(State(name, flow.first_step(), {"prompt_id": 1}, None, expires), messages.mood))
        elif step_type == "AttendanceStep":
            data = {"event_id": 1, "welcome_back": False}
            conversations.append(Waiting(State(name, flow.first_step(), data, None, expires), messages.attendance))
    return conversations


def _fitting_answer(messages: Messages, step: str, step_type: str) -> Callable[[], str]:
    if step_type == "LinkPhoneStep":
        return messages.number
    return {"navn": messages.name, "humør": messages.mood}.get(step, messages.yes_no)


@dataclass(frozen=True)
class Call:
    contact: ContactView
    state: State | None
    event: IncomingText


def calls(flows: FlowSet, count: int, seed: int) -> list[Call]:
    """``count`` messages, each different from the others: half of them new conversations, half an
    answer (or now and then anything else) in the middle of one."""
    chance = random.Random(seed)
    messages = Messages(flows, chance)
    waiting = waiting_conversations(flows, messages)
    contacts = [ContactView(), ContactView(name="Sofie"), ContactView(name="Ali", language="en"), ContactView(opted_out=True)]
    made: list[Call] = []
    seen: set[str] = set()
    while len(made) < count:
        conversation = chance.choice(waiting) if chance.random() < 0.5 else None
        if conversation is not None and chance.random() < 0.7:
            text = conversation.answer()
        else:
            text = messages.any()
        if text in seen:
            continue
        seen.add(text)
        contact = chance.choices(contacts, [45, 30, 20, 5])[0]
        made.append(Call(contact, conversation.state if conversation else None, IncomingText(text)))
    return made


def run(messages: int = 20_000, rounds: int = 5, seed: int = 1) -> dict:
    flows = flowset()
    started = time.perf_counter()
    for call in calls(flows, 2_000, seed=0):  # imports, the danger list's words: a worker running since the morning
        engine.handle(flows, call.contact, call.state, call.event, NOW, ZONE)
    warm_up_s = time.perf_counter() - started
    rates: list[float] = []
    cpu_rates: list[float] = []
    lines: list[str] = []
    for round_number in range(rounds):
        batch = calls(flows, messages, seed=seed + round_number)
        wall, cpu = time.perf_counter(), time.process_time()
        for call in batch:
            engine.handle(flows, call.contact, call.state, call.event, NOW, ZONE)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rates.append(len(batch) / wall)
        cpu_rates.append(len(batch) / cpu)
        lines.append(
            f"round {round_number + 1}: {len(batch)} distinct messages in {wall:.3f} s: {rates[-1]:,.0f} calls/s "
            f"({cpu_rates[-1]:,.0f} per CPU second)"
        )
    best = max(rates)
    problems = [] if best >= TARGET else [f"the best round answered {best:,.0f} messages a second, not {TARGET:,}"]
    return {
        "warm_up_s": warm_up_s,
        "lines": lines,
        "best": best,
        "median": statistics.median(rates),
        "worst": min(rates),
        "cpu_median": statistics.median(cpu_rates),
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="distinct messages a round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each with messages of its own")
    parser.add_argument("--seed", type=int, default=1, help="the first round's messages (the next round's is seed + 1)")
    arguments = parser.parse_args()
    load_before = os.getloadavg()[0]
    result = run(arguments.messages, arguments.rounds, arguments.seed)
    print(f"warmed up with 2,000 other messages in {result['warm_up_s']:.2f} s")
    for line in result["lines"]:
        print(line)
    print(
        f"engine.handle: best {result['best']:,.0f}, median {result['median']:,.0f}, worst {result['worst']:,.0f} calls/s "
        f"(median {result['cpu_median']:,.0f} per CPU second); best / {TARGET:,} = {result['best'] / TARGET:.2f}"
    )
    print(f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}, on {os.cpu_count()} cores")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
