"""What an answer to a mood check-in sets off, at the edge (the engine only says what was answered).

A very low answer, N low answers in a row, or words of danger: the member's contact person (if
the young person agreed to that) or the community's staff get an SMS with the score and a link to
the member, never the young person's own words; staff see it in their notifications too; and the
young person is told honestly who will get in touch. Words of danger get the numbers for help now
from the engine, before anything else is said; here they only make the note say so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.lists import format_list
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.outbox import add_staff_messages
from bot.engine.localized import text_in
from bot.engine.templates import contact_variables, render
from bot.flows.mood_settings import DANGER_REASON, MoodAlert, MoodCheckin
from bot.runtime import Runtime
from bot.storage.models import MOOD_NOTE_MAX, Contact, Member, MoodPrompt, StaffNotification


def record_score(runtime: Runtime, session: Session, contact: Contact, prompt_id: int, score: int, said: str, now: datetime) -> tuple[list[str], list]:
    """(texts for the young person, staff SMS) after an answer of ``score``."""
    prompt = _prompt(session, contact, prompt_id)
    if prompt is None:
        return [], []
    prompt.score, prompt.answered_at, prompt.status, prompt.updated_at = score, now, "answered", now
    return _follow_up(runtime, session, contact, prompt, now, danger=_danger(runtime, said))


def record_note(runtime: Runtime, session: Session, contact: Contact, prompt_id: int, text: str, now: datetime) -> tuple[list[str], list]:
    prompt = _prompt(session, contact, prompt_id)
    if prompt is None:
        return [], []
    prompt.note, prompt.updated_at = text.strip()[:MOOD_NOTE_MAX], now
    if prompt.answered_at is None:
        prompt.answered_at, prompt.status = now, "answered"
    return _follow_up(runtime, session, contact, prompt, now, danger=_danger(runtime, text))


def _prompt(session: Session, contact: Contact, prompt_id: int) -> MoodPrompt | None:
    prompt = session.get(MoodPrompt, prompt_id)
    return prompt if prompt is not None and prompt.contact_id == contact.id else None


def _danger(runtime: Runtime, text: str) -> bool:
    return runtime.flows.current().danger_in(text) is not None


def low_streak(session: Session, prompt: MoodPrompt, low: int) -> int:
    """How many answers in a row up to this one, this one included, were ``low`` or lower."""
    scores = session.scalars(
        select(MoodPrompt.score)
        .where(
            MoodPrompt.checkin == prompt.checkin, MoodPrompt.contact_id == prompt.contact_id, MoodPrompt.score.is_not(None),
            MoodPrompt.local_date <= prompt.local_date,
        )
        .order_by(MoodPrompt.local_date.desc())
        .limit(50)
    ).all()
    streak = 0
    for score in scores:
        if score > low:
            break
        streak += 1
    return streak


def _follow_up(runtime: Runtime, session: Session, contact: Contact, prompt: MoodPrompt, now: datetime, *, danger: bool) -> tuple[list[str], list]:
    flows = runtime.flows.current()
    mood: MoodCheckin | None = flows.moods.get(prompt.checkin)
    if mood is None or (prompt.alerted_at is not None and not danger):
        return [], []  # one alert per answer, but words of danger are news even after a low score
    rule = mood.alert
    if not alert_reasons(session, prompt, rule, danger=danger):
        return [], []
    prompt.alerted_at = now
    member = session.get(Member, prompt.member_id) if prompt.member_id else None
    community = flows.communities.get(member.community) if member else None
    who, phones = _who_reaches_out(member, community, contact.language)
    link = f"{runtime.settings.public_base_url}/console/members/{member.id}" if member else ""
    variables = contact_variables(name=contact.name, language=contact.language, fields=contact.fields or {}, now=now, zone=runtime.settings.zone)
    shown = community.display_name if community else ""

    def staff_note(named: str) -> str:
        note = render(rule.staff_text, {**variables, "language": "da", "community": named, "score": prompt.score or "?", "link": link})
        return _naming_danger(note) if danger else note

    # Under the member's community, so its staff see it (bot.domain.notifications); without one, admins do.
    flow = f"{member.community}.{prompt.checkin}" if member else prompt.checkin
    session.add(StaffNotification(contact_id=contact.id, flow=flow, text=staff_note(community.name if community else ""), created_at=now))
    # The SMS shows on a contact person's or a worker's lock screen: the community's discreet name.
    staff_messages = add_staff_messages(session, phones, staff_note(shown), send_after=now, now=now)
    return [render(text_in(rule.tell, contact.language), {**variables, "who": who, "community": shown})], staff_messages


def _naming_danger(note: str) -> str:
    """"Ungebot: Ord om fare. Maja (...) har svaret 4 af 5 ...": the score alone could read as fine.
    Said first after the sender, where a lock screen shows it."""
    sender = "Ungebot: "
    rest = note.removeprefix(sender)
    return f"{sender if rest != note else ''}{DANGER_REASON} {rest}"


def alert_reasons(session: Session, prompt: MoodPrompt, rule: MoodAlert, *, danger: bool) -> tuple[str, ...]:
    """Why an answer reaches a person ("danger", "very_low", "low_in_a_row"); none: it does not."""
    reasons = ["danger"] if danger else []
    score = prompt.score
    if score is not None and score <= rule.very_low:
        reasons.append("very_low")
    elif score is not None and low_streak(session, prompt, rule.low) >= rule.low_in_a_row:
        reasons.append("low_in_a_row")
    return tuple(reasons)


def why_alerted(runtime: Runtime, session: Session, prompt: MoodPrompt) -> tuple[str, ...]:
    """Why an alerted answer reached a person, worked out again from what is kept (for staff).

    The answer's own words are not kept on the prompt, only the note: an alert that neither the
    score nor the note explains came from words of danger in the answer itself.
    """
    mood: MoodCheckin | None = runtime.flows.current().moods.get(prompt.checkin)
    danger = prompt.note is not None and _danger(runtime, prompt.note)
    reasons = alert_reasons(session, prompt, mood.alert, danger=danger) if mood is not None else ()
    return reasons or ("danger",)


@dataclass(frozen=True)
class Recipients:
    """Who hears about a low answer: "contact_person" (the young person agreed), "staff" (the
    community's staff with a phone), or "nobody" by SMS (the staff notification alone)."""

    kind: str
    names: tuple[str, ...]
    phones: tuple[str, ...]


def alert_recipients(member: Member | None, community) -> Recipients:
    """The contact person if the young person agreed, else the community's staff with a phone."""
    if member is not None and member.contact_person_consent_at is not None and member.contact_person_phone:
        names = (member.contact_person_name,) if member.contact_person_name else ()
        return Recipients("contact_person", names, (member.contact_person_phone,))
    staff = [person for person in (community.staff if community else []) if person.phone]
    if staff:
        return Recipients("staff", tuple(person.name for person in staff), tuple(person.phone for person in staff))
    return Recipients("nobody", (), ())


def _who_reaches_out(member: Member | None, community, language: str) -> tuple[str, list[str]]:
    """How the young person hears who will get in touch, and the phones that are told."""
    recipients = alert_recipients(member, community)
    english = language == "en"
    if recipients.kind == "contact_person":
        return (recipients.names[0] if recipients.names else "your contact person" if english else "din kontaktperson"), list(recipients.phones)
    if recipients.kind == "staff":
        return format_list(list(recipients.names), style="or", locale="en" if english else "da"), list(recipients.phones)
    return ("an adult" if english else "en voksen"), []


def set_pause(contact: Contact, until: datetime | None, now: datetime) -> None:
    if until is None:
        contact.checkins_stopped_at, contact.checkins_paused_until = now, None
    else:
        contact.checkins_paused_until, contact.checkins_stopped_at = until, None


def resume(contact: Contact) -> None:
    contact.checkins_paused_until = contact.checkins_stopped_at = None
