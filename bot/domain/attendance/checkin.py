"""Arrival: a member texts a check-in word (HER, TJEK IND, 📍) while their community meets.

From ``opens_before`` (30 minutes) before the start until the end, the member is marked as
come (set by "tjek ind"; staff can still correct it). Outside that window they are told when
the next time is, kindly: a wrong moment is not a mistake worth a scolding. In a community of
booked times (the gym) only the member's own booked time counts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.when import relative_time
from bot.domain.attendance.attendance import set_presence
from bot.domain.bookings.bookings import events_of
from bot.domain.communities.reminders import member_variables
from bot.engine.localized import text_in
from bot.engine.templates import render
from bot.engine.texts import system_text
from bot.flows.communities import Community
from bot.runtime import Runtime
from bot.storage.models import Contact, Event, Member

SET_BY = "tjek ind"


def check_in(runtime: Runtime, session: Session, contact: Contact, communities: dict[str, Community], now: datetime) -> list[str]:
    """What to answer a check-in word; marks every event going on now as attended."""
    meeting = [slug for slug, community in communities.items() if community.meets]
    # In the order they joined: a member of two communities meeting now gets both answers, always
    # in the same order (without it, the order rows happen to lie in on disk).
    members = session.scalars(
        select(Member)
        .where(Member.contact_id == contact.id, Member.status == "active", Member.community.in_(meeting))
        .order_by(Member.id)
    ).all()
    if not members:
        return [system_text("checkin_not_member", contact.language)]
    arrived, upcoming = [], []
    for member in members:
        community = communities[member.community]
        event = _event_going_on(session, member, community, now)
        if event is not None:
            set_presence(session, member, event, "attended", SET_BY, now)
            arrived.append(render(text_in(community.checkin.arrived, contact.language), member_variables(runtime, community, member)))
        else:
            upcoming.append((_next_start(session, member, community, now, runtime.settings.zone), member, community))
    if arrived:
        return arrived
    following, member, community = min(upcoming, key=lambda item: item[0] or datetime.max.replace(tzinfo=now.tzinfo))
    variables = {
        **member_variables(runtime, community, member),
        "next": relative_time(following, now, runtime.settings.zone, contact.language) if following else "",
        "minutes": int(community.checkin.opens_before.total_seconds() // 60),
    }
    return [render(text_in(community.checkin.not_now, contact.language), variables)]


def _event_going_on(session: Session, member: Member, community: Community, now: datetime) -> Event | None:
    return session.scalars(
        select(Event)
        .where(
            Event.community == member.community,
            Event.cancelled_at.is_(None),
            events_of(member.id),
            Event.starts_at <= now + community.checkin.opens_before,
            Event.ends_at > now,
        )
        .order_by(Event.starts_at)
        .limit(1)
    ).first()


def _next_start(session: Session, member: Member, community: Community, now: datetime, zone) -> datetime | None:
    if community.bookable is not None:
        return session.scalar(
            select(Event.starts_at)
            .where(Event.community == member.community, Event.cancelled_at.is_(None), events_of(member.id), Event.starts_at > now)
            .order_by(Event.starts_at)
            .limit(1)
        )
    # From the schedule, not the events table: events are planned only a few days ahead.
    today = now.astimezone(zone).date()
    return next((o.starts_at for o in community.occurrences(today, today + timedelta(days=120), zone) if o.starts_at > now), None)
