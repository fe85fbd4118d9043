"""Bookable times for staff: what is free, who has booked, and booking on a young person's behalf.

Young people book by text (BOOK, AFLYS, FLYT); staff use these routes for those who find that
hard, or to free a time. Both go through ``bot.domain.bookings.bookings``, so the database decides who gets the
last seat, whichever way the bookings come in.
"""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

from pydantic import AliasPath, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from bot.api.common import DATE, MAX_ID, LocalTime, RowWith, get_or_404, query_date, runtime, today
from bot.api.errors import ApiError
from bot.api.fields import DateTime, Integer
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.bookings import bookings
from bot.domain.communities.members import known_communities
from bot.flows.communities import Community
from bot.storage.models import Booking, Member

log = logging.getLogger(__name__)

# Refusals about the time asked for (the request's fault) and about how things stand (a conflict).
REFUSED_TIME = ("not_a_time", "started", "too_far")


class SlotOut(BaseModel):
    starts_at: LocalTime = Field(description="Local time with its offset")
    ends_at: LocalTime = Field(description="Local time with its offset")
    seats: int = Field(description="How many can have this time (`at_once`)")
    booked: int
    free: int
    bookable: bool = Field(description="In the future and within `ahead`: it can still be booked")


class DaySlotsOut(BaseModel):
    community: str
    date: date
    slots: list[SlotOut]


class NewBooking(BaseModel):
    """A time for a member of the community, e.g. {"member_id": 12, "starts_at": "2026-11-30T15:00:00+01:00"}."""

    model_config = ConfigDict(extra="forbid", strict=True)

    member_id: Integer = Field(ge=1, le=MAX_ID)
    starts_at: DateTime = Field(description="The start of one of the community's times, with its offset")


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    community: str
    member_id: int
    name: str | None = Field(validation_alias=AliasPath("contact", "name"))
    event_id: int = Field(description="The time's event: its reminders and attendance")
    starts_at: LocalTime = Field(description="Local time with its offset")
    ends_at: LocalTime = Field(description="Local time with its offset")
    seat: int = Field(description="1 up to the time's number of seats")
    status: str = Field(description="booked or cancelled")
    booked_by: str = Field(description='"sms" (the young person), or the name of the token that booked it')
    created_at: LocalTime
    cancelled_at: LocalTime | None
    cancelled_by: str | None = Field(description='"sms", "left" (the member left), or a token\'s name')

    # A booking row knows its member by id alone; the member comes as context={"member": ...}.
    @model_validator(mode="before")
    @classmethod
    def _with_contact(cls, booking: Any, info: ValidationInfo) -> RowWith:
        return RowWith(booking, contact=info.context["member"].contact)


class DayBookingsOut(BaseModel):
    community: str
    date: date
    bookings: list[BookingOut]


def bookable_or_404(slug: str) -> Community:
    community = known_communities(runtime()).get(slug)
    if community is None:
        raise ApiError(404, f"no community {slug!r}")
    if community.bookable is None:
        raise ApiError(404, f"community {slug!r} has no bookable times")
    return community


@route(
    "GET", "/communities/<slug>/slots", requires="staff", summary="A day's bookable times, free and taken", response=DaySlotsOut,
    query=(DATE,),
)
def community_slots(slug: str):
    """Query: `date`, a local date YYYY-MM-DD (default: today). Every time that day with its
    seats, how many are booked and how many are free. 404 for a community without bookable times."""
    community = bookable_or_404(slug)
    rt = runtime()
    zone = rt.settings.zone
    day = query_date("date") or today(zone)
    with rt.db.session() as session:
        states = bookings.day_slots(session, slug, community, day, clock.now(), zone)
    seats = community.bookable.at_once
    return DaySlotsOut(
        community=slug,
        date=day,
        slots=[
            SlotOut(
                starts_at=s.slot.starts_at, ends_at=s.slot.ends_at, seats=seats,
                booked=s.booked, free=max(seats - s.booked, 0), bookable=s.bookable,
            )
            for s in states
        ],
    )


@route(
    "GET", "/communities/<slug>/bookings", requires="staff", summary="Who has booked a day's times", response=DayBookingsOut,
    query=(DATE,),
)
def community_bookings(slug: str):
    """Query: `date`, a local date YYYY-MM-DD (default: today). The day's bookings by time and
    seat, cancelled ones included (with `status`)."""
    bookable_or_404(slug)
    rt = runtime()
    zone = rt.settings.zone
    day = query_date("date") or today(zone)
    with rt.db.session() as session:
        rows = bookings.bookings_between(session, slug, day, day)
        return DayBookingsOut(
            community=slug, date=day,
            bookings=[BookingOut.model_validate(booking, context={"member": member}) for booking, member in rows],
        )


@route(
    "POST", "/communities/<slug>/bookings", requires="staff", summary="Book a time for a young person", body=NewBooking,
    response=BookingOut, statuses=(201, 200),
    errors={409: "The member is not an active member of the community, or every seat of the time is taken"},
)
def book_for_member(slug: str, body: NewBooking):
    """For a young person who finds booking by text hard (201); if the member already has that
    time, their booking as it is (200), so a repeated request books nothing twice. The member
    must be an active member of the community (409 otherwise); the time must be one of its times,
    in the future and within `ahead` (422 otherwise). 409 when every seat is taken. The day-of
    reminder is planned as for a time the young person booked."""
    community = bookable_or_404(slug)
    rt = runtime()
    now = clock.now()
    with rt.db.session() as session:
        member = session.get(Member, body.member_id)
        if member is None or member.community != slug:
            raise ApiError(404, f"no member {body.member_id} in {slug!r}")
        try:
            booking = bookings.book_for_member(rt, session, slug, community, member, body.starts_at, now, by=caller().name)
        except bookings.BookingRefused as refused:
            if refused.reason in REFUSED_TIME:
                raise ApiError(422, "some fields are invalid", fields={"starts_at": refused.message}) from None
            if refused.reason == "already":
                return BookingOut.model_validate(refused.booking, context={"member": member}), 200
            raise ApiError(409, refused.message) from None
        log.info("api: %s booked %s for member %s", caller().name, booking.id, member.id)
        return BookingOut.model_validate(booking, context={"member": member}), 201


@route(
    "DELETE", "/bookings/<int:booking_id>", requires="staff", summary="Cancel a booking", response=BookingOut,
    errors={409: "The time has started"},
)
def cancel_booking(booking_id: int):
    """Frees the seat and cancels the day-of reminder planned for it; the token's name is recorded
    as who cancelled it. Cancelling a cancelled booking changes nothing; 409 once the time has started."""
    rt = runtime()
    now = clock.now()
    with rt.db.session() as session:
        booking = get_or_404(session, Booking, booking_id, "booking")
        try:
            cancelled = bookings.cancel_for_member(rt, session, booking, now, by=caller().name)
        except bookings.BookingRefused:
            raise ApiError(409, f"booking {booking_id}: the time has started; set whether they came through attendance instead") from None
        if cancelled:
            log.info("api: %s cancelled booking %s", caller().name, booking_id)
        return BookingOut.model_validate(booking, context={"member": session.get(Member, booking.member_id)})
