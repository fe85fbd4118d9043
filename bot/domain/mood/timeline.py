"""Mood check-ins as staff read them: the questions asked and the answers given, by date (the
staff API and the console). Staff see scores and whether there is a note, never the note itself;
that is for the caller to leave out."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import MoodPrompt


def prompts_of(session: Session, contact_ids: Collection[int], first: date, last: date, checkins: Collection[str] | None = None) -> list[MoodPrompt]:
    """The check-in questions to these contacts on the local dates ``first`` to ``last`` (of
    ``checkins`` only, if given), by date."""
    if not contact_ids:
        return []
    query = (
        select(MoodPrompt)
        .where(MoodPrompt.contact_id.in_(list(contact_ids)), MoodPrompt.local_date >= first, MoodPrompt.local_date <= last)
        .order_by(MoodPrompt.local_date, MoodPrompt.id)
    )
    if checkins is not None:
        query = query.where(MoodPrompt.checkin.in_(list(checkins)))
    return list(session.scalars(query))
