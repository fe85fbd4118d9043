"""Bookable times in the console: a community's week as a calendar, each time booked (by whom) or
free, and booking, cancelling and moving a time for a young person.

Everything goes through the same domain functions as the staff API (``bot.domain.bookings``):
the database decides who gets the last seat whichever way a booking comes in, and the young person
gets the same text as when the API books for them. A time someone else took a moment ago is a
message on the page, not an error. Every action goes in the staff audit, by ids only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from flask import abort, redirect, render_template, request, url_for

from bot.console.access import community_or_abort, my_communities, requires, runtime, theirs, viewer
from bot.console.blueprint import blueprint, language, menu
from bot.core import clock
from bot.domain.bookings import bookings
from bot.domain.communities.members import list_members
from bot.domain.staff import accounts
from bot.engine.booking_texts import when
from bot.flows.communities import Community
from bot.storage.models import Booking, Member

ROLES = ("staff", "admin")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# Booking.booked_by and cancelled_by hold 100 characters; an email may be longer.
BY_MAX = 100
# Refusals about how things stand now (someone else was quicker), not about the time asked for.
CONFLICTS = ("taken", "full", "already", "not_member", "not_booked", "started")

menu(50, "bookings_page", "bookings_menu", current=("bookings_week", "booking_new", "booking_create", "booking_page", "booking_cancel", "booking_move"))


@dataclass(frozen=True)
class Seat:
    booking_id: int
    name: str | None
    member_id: int


@dataclass(frozen=True)
class TimeView:
    starts_at: datetime
    hours: str  # "15:00–16:00"
    spoken: str  # "mandag 30. nov. kl. 15:00-16:00"
    booked: list[Seat]
    free: int
    bookable: bool
    over: bool


@dataclass(frozen=True)
class DayView:
    day: date
    label: str
    closed: bool
    times: list[TimeView]


def _bookable(slug: str) -> Community:
    """The community ``slug`` if the viewer works in it (403) and it has bookable times (404)."""
    community = community_or_abort(slug)
    if community.bookable is None:
        abort(404)
    return community


def _by() -> str:
    return viewer().email[:BY_MAX]


def _day_label(day: date) -> str:
    chosen = language()
    return format_date(day, "EEEE d.M." if chosen == "da" else "EEEE d MMM", locale=chosen)


def _spoken(starts_at: datetime, ends_at: datetime) -> str:
    return when(starts_at, runtime().settings.zone, language(), ends_at)


def _week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(week: str | None) -> date:
    """The Monday of an ISO week ("2026-W49"); this week's without one; 404 for what is no week."""
    if week is None:
        today = clock.now().astimezone(runtime().settings.zone).date()
        return today - timedelta(days=today.weekday())
    found = WEEK.match(week)
    if found is None:
        abort(404)
    try:
        return date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        abort(404)


def _moment(raw: str | None) -> datetime | None:
    """A time from a form or a link, with its offset; None for anything else."""
    try:
        moment = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _booking_or_abort(db, booking_id: int) -> Booking:
    return theirs(db, Booking, booking_id)


def _status(refused: str | None) -> int:
    return 200 if refused is None else 409 if refused in CONFLICTS else 422


def _member_name(member: Member) -> str | None:
    return member.contact.name if member.contact is not None else None


# The list of communities -------------------------------------------------------------------------

@blueprint.get("/bookings")
@requires(*ROLES)
def bookings_page():
    now = clock.now()
    zone = runtime().settings.zone
    mine = sorted(((slug, c) for slug, c in my_communities().items() if c.bookable is not None), key=lambda item: item[1].name.casefold())
    cards = []
    with runtime().db.session() as db:
        for slug, community in mine:
            ahead = community.bookable.ahead
            coming = [
                s for s in bookings.slots_between(db, slug, community, now.astimezone(zone).date(), (now + ahead).astimezone(zone).date(), now, zone)
                if s.bookable
            ]
            first_free = bookings.free_times(db, slug, community, now, zone, limit=1)
            cards.append(
                dict(
                    slug=slug, community=community, days=ahead.days, booked=sum(s.booked for s in coming), seats=len(coming) * community.bookable.at_once,
                    next_free=_spoken(first_free[0].starts_at, first_free[0].ends_at) if first_free else None,
                    describe=community.bookable.describe(language()),
                )
            )
    return render_template("console/bookings.html", cards=cards)


# A community's week ------------------------------------------------------------------------------

@blueprint.get("/communities/<slug>/bookings")
@requires(*ROLES)
def bookings_week(slug: str):
    community = _bookable(slug)
    monday = _monday(request.args.get("week"))
    sunday = monday + timedelta(days=6)
    now = clock.now()
    zone = runtime().settings.zone
    with runtime().db.session() as db:
        states = bookings.slots_between(db, slug, community, monday, sunday, now, zone)
        seats: dict[datetime, list[Seat]] = {}
        for booking, member in bookings.bookings_between(db, slug, monday, sunday):
            if booking.status == "booked":
                seats.setdefault(booking.starts_at, []).append(Seat(booking.id, _member_name(member), member.id))
    # A day the community would have times but is closed (``cancelled:``) says so.
    weekdays = sorted({slot.local_date for slot in community.bookable.slots(monday, sunday, zone)})
    at_once = community.bookable.at_once
    days = []
    for day in weekdays:
        times = [
            TimeView(
                starts_at=s.slot.starts_at,
                hours=f"{s.slot.starts_at.astimezone(zone):%H:%M}–{s.slot.ends_at.astimezone(zone):%H:%M}",
                spoken=_spoken(s.slot.starts_at, s.slot.ends_at),
                booked=seats.get(s.slot.starts_at, []),
                free=max(at_once - s.booked, 0),
                bookable=s.bookable,
                over=s.slot.starts_at <= now,
            )
            for s in states
            if s.slot.local_date == day
        ]
        days.append(DayView(day, _day_label(day), closed=not times, times=times))
    this_monday = _monday(None)
    return render_template(
        "console/bookings_week.html",
        slug=slug, community=community, days=days, week=_week_of(monday), at_once=at_once,
        first=_day_label(monday), last=_day_label(sunday),
        previous=_week_of(monday - timedelta(days=7)), following=_week_of(monday + timedelta(days=7)),
        this_week=None if monday == this_monday else _week_of(this_monday),
        done=request.args.get("done") if request.args.get("done") in ("booked", "cancelled", "moved") else None,
    )


# Booking a time for a young person ---------------------------------------------------------------

def _new_page(slug: str, community: Community, starts_at: datetime, *, refused: str | None = None, chosen: int | None = None, name: str | None = None):
    """The form that books the time at ``starts_at`` (404 if the community has no such time)."""
    zone = runtime().settings.zone
    slot = community.bookable.slot_at(starts_at, zone, bookings.closed_dates(community))
    if slot is None:
        abort(404)
    with runtime().db.session() as db:
        holders = {member.id for booking, member in bookings.bookings_between(db, slug, slot.local_date, slot.local_date)
                   if booking.status == "booked" and booking.starts_at == slot.starts_at}
        people = [
            dict(id=member.id, name=_member_name(member), has_it=member.id in holders)
            for member in list_members(db, slug)
            if member.status == "active"
        ]
        taken = len(bookings.taken_seats(db, slug, slot.starts_at))
    people.sort(key=lambda person: ((person["name"] or "").casefold(), person["id"]))
    free = max(community.bookable.at_once - taken, 0)
    if refused is None and free == 0:
        refused = "full"
    html = render_template(
        "console/booking_new.html",
        slug=slug, community=community, starts_at=slot.starts_at, spoken=_spoken(slot.starts_at, slot.ends_at),
        week=_week_of(slot.local_date), people=people, free=free, refused=refused, chosen=chosen, name=name,
    )
    return html, _status(refused)


@blueprint.get("/communities/<slug>/bookings/new")
@requires(*ROLES)
def booking_new(slug: str):
    community = _bookable(slug)
    starts_at = _moment(request.args.get("starts_at"))
    if starts_at is None:
        abort(404)
    html, _ = _new_page(slug, community, starts_at)
    return html


@blueprint.post("/communities/<slug>/bookings")
@requires(*ROLES)
def booking_create(slug: str):
    community = _bookable(slug)
    starts_at = _moment(request.form.get("starts_at"))
    if starts_at is None:
        abort(404)
    member_id = request.form.get("member_id", type=int)
    if member_id is None:
        return _new_page(slug, community, starts_at, refused="no_member")
    now = clock.now()
    refused, name, booked_at = None, None, None
    with runtime().db.session() as db:
        member = theirs(db, Member, member_id)
        name = _member_name(member)
        try:
            booking = bookings.book_for_member(runtime(), db, slug, community, member, starts_at, now, by=_by())
        except bookings.BookingRefused as error:
            refused = error.reason
        else:
            booked_at = booking.starts_at
            accounts.audit(db, viewer().email, "booking_book", now, f"booking {booking.id}, member {member.id}, {slug}")
    if refused is not None:
        return _new_page(slug, community, starts_at, refused=refused, chosen=member_id, name=name)
    return redirect(url_for("console.bookings_week", slug=slug, week=_week_of(booked_at.astimezone(runtime().settings.zone).date()), done="booked"))


# One booking: cancelling and moving --------------------------------------------------------------

def _booking_page(booking_id: int, *, refused: str | None = None):
    now = clock.now()
    zone = runtime().settings.zone
    with runtime().db.session() as db:
        booking = _booking_or_abort(db, booking_id)
        member = db.get(Member, booking.member_id)
        community = my_communities().get(booking.community)
        live = booking.status == "booked" and booking.starts_at > now
        moves = []
        if live and community is not None and community.bookable is not None:
            moves = [
                dict(starts_at=slot.starts_at.isoformat(), spoken=_spoken(slot.starts_at, slot.ends_at))
                for slot in bookings.free_times(db, booking.community, community, now, zone, member_id=member.id, limit=None)
            ]
        view = dict(
            booking=booking, member_id=member.id, name=_member_name(member), community=community, live=live,
            started=booking.status == "booked" and booking.starts_at <= now, moves=moves, refused=refused,
            spoken=_spoken(booking.starts_at, booking.ends_at), week=_week_of(booking.starts_at.astimezone(zone).date()),
        )
    return render_template("console/booking.html", **view), _status(refused)


@blueprint.get("/bookings/<int:booking_id>")
@requires(*ROLES)
def booking_page(booking_id: int):
    return _booking_page(booking_id)


@blueprint.post("/bookings/<int:booking_id>/cancel")
@requires(*ROLES)
def booking_cancel(booking_id: int):
    now = clock.now()
    refused = None
    with runtime().db.session() as db:
        booking = _booking_or_abort(db, booking_id)
        try:
            cancelled = bookings.cancel_for_member(runtime(), db, booking, now, by=_by())
        except bookings.BookingRefused as error:
            refused = error.reason
        else:
            if cancelled:
                accounts.audit(db, viewer().email, "booking_cancel", now, f"booking {booking.id}, member {booking.member_id}, {booking.community}")
        slug, week = booking.community, _week_of(booking.starts_at.astimezone(runtime().settings.zone).date())
    if refused is not None or not cancelled:
        return _booking_page(booking_id, refused=refused or "not_booked")
    return redirect(url_for("console.bookings_week", slug=slug, week=week, done="cancelled"))


@blueprint.post("/bookings/<int:booking_id>/move")
@requires(*ROLES)
def booking_move(booking_id: int):
    now = clock.now()
    starts_at = _moment(request.form.get("starts_at"))
    refused, moved_at = None, None
    with runtime().db.session() as db:
        booking = _booking_or_abort(db, booking_id)
        community = _bookable(booking.community)
        if starts_at is None:
            refused = "not_a_time"
        else:
            try:
                moved = bookings.move_for_member(runtime(), db, community, booking, starts_at, now, by=_by())
            except bookings.BookingRefused as error:
                refused = error.reason
            else:
                moved_at = moved.starts_at
                accounts.audit(
                    db, viewer().email, "booking_move", now, f"booking {booking.id} to booking {moved.id}, member {booking.member_id}, {booking.community}"
                )
        slug = booking.community
    if refused is not None:
        return _booking_page(booking_id, refused=refused)
    return redirect(url_for("console.bookings_week", slug=slug, week=_week_of(moved_at.astimezone(runtime().settings.zone).date()), done="moved"))
