"""What a step may do while it runs: speak, save, notify. It only records; the edges act."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import actions
from bot.engine.localized import Text, text_in
from bot.engine.templates import contact_variables, render
from bot.engine.texts import system_text


class Context:
    def __init__(self, contact: actions.ContactView, now: datetime, zone: ZoneInfo, answer: str | None) -> None:
        self.name = contact.name
        self.language = contact.language
        self.fields = dict(contact.fields)
        self.now = now
        self.zone = zone
        self.answer = answer
        self.data: dict[str, Any] = {}  # the running step's notes (State.data)
        self.flow: str | None = None
        self.step: str | None = None
        self.actions: list[actions.Action] = []
        self._variables: Mapping[str, object] | None = None

    def variables(self) -> Mapping[str, object]:
        # Most texts a step says read them; worked out once, and again only after ``save``.
        if self._variables is None:
            self._variables = contact_variables(
                name=self.name, language=self.language, fields=self.fields, now=self.now, zone=self.zone, answer=self.answer or ""
            )
        return self._variables

    def render(self, text: Text) -> str:
        return render(text_in(text, self.language), self.variables())

    def system_text(self, key: str) -> str:
        return system_text(key, self.language)

    def say(self, text: Text, choices: list[str] | None = None, prefix: str | None = None) -> None:
        body = self.render(text)
        if prefix:
            body = f"{prefix} {body}"
        self.actions.append(actions.SendText(body, tuple(choices) if choices else ()))

    def say_system(self, key: str, even_if_opted_out: bool = False, **variables: object) -> None:
        text = self.system_text(key)
        if variables:
            text = render(text, {**self.variables(), **variables})
        self.actions.append(actions.SendText(text, (), even_if_opted_out))

    def save(self, field: str, value: str) -> None:
        if field == "name":
            self.name = value
        elif field == "language":
            value = "en" if value.strip().lower() in {"en", "english", "engelsk"} else "da"
            self.language = value
        else:
            self.fields[field] = value
        self._variables = None
        self.actions.append(actions.SaveField(field, value))

    def notify(self, text: Text, to: list[str] | tuple[str, ...] = ()) -> None:
        body = render(text if isinstance(text, str) else text.da, {**self.variables(), "language": "da"})
        self.actions.append(actions.NotifyStaff(body, tuple(to), self.flow))

    def saved(self, field: str) -> str | None:
        if field == "name":
            return self.name
        if field == "language":
            return self.language
        return self.fields.get(field)

    def join(self, community: str) -> None:
        self.actions.append(actions.JoinCommunity(community))

    def record_attendance(self, event_id: int, reply: str) -> None:
        self.actions.append(actions.RecordAttendance(event_id, reply))

    def check_in(self) -> None:
        self.actions.append(actions.CheckIn())

    def record_mood(self, prompt_id: int, score: int, said: str) -> None:
        self.actions.append(actions.RecordMood(prompt_id, score, said))

    def record_mood_note(self, prompt_id: int, text: str) -> None:
        self.actions.append(actions.RecordMoodNote(prompt_id, text))

    def pause_checkins(self, until: datetime) -> None:
        self.actions.append(actions.PauseCheckins(until))

    def stop_checkins(self) -> None:
        self.actions.append(actions.PauseCheckins(None))

    def resume_checkins(self) -> None:
        self.actions.append(actions.ResumeCheckins())

    def look_up_times(self, community: str | None) -> None:
        self.actions.append(actions.LookUpTimes(community))

    def book_time(self, community: str, starts_at: datetime, replacing: int | None = None) -> None:
        self.actions.append(actions.BookTime(community, starts_at, replacing))

    def cancel_booking(self, booking_id: int) -> None:
        self.actions.append(actions.CancelBooking(booking_id))

    def send_link_code(self, number: str) -> None:
        self.actions.append(actions.SendLinkCode(number))

    def check_link_code(self, code: str) -> None:
        self.actions.append(actions.CheckLinkCode(code))

    def pass_on(self, note: str) -> None:
        """Staff get a note; the young person is told honestly that a person will answer."""
        self.notify(note)
        self.say_system("passed_on")

    def hand_to_staff(self) -> None:
        who = self.name or "En ung"
        self.notify(f"{who} svarede tre gange noget, botten ikke forstod (flowet «{self.flow}», trin «{self.step}»). Skriv gerne til den unge.")
        self.say_system("handed_to_staff")
