"""Members of a community, for staff: list, add, change, leave, and export for Excel.

Staff see phone numbers here because they need them to reach the young people; the logs only
ever get member ids.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, time
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, current_app
from pydantic import AliasPath, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator

from bot.api.common import OptedOut, RowWith, get_or_404
from bot.api.errors import ApiError
from bot.api.fields import Phone, PhoneOrEmpty, email, plain_text
from bot.api.routing import caller, route
from bot.core import clock
from bot.domain.communities.csv_import import members_csv
from bot.domain.communities.members import (
    EMAIL_MAX,
    LAST_ACTIVITY_MAX,
    NAME_MAX,
    PRONOUNS_MAX,
    add_member,
    find_member,
    known_communities,
    leave,
    list_members,
    parse_reminder_time,
    phone_of,
    update_member,
)
from bot.storage.models import Member

log = logging.getLogger(__name__)
CLOCK_TIME = r"^([01]?[0-9]|2[0-3])[:.][0-5][0-9]$"


def _clock_time(value: object) -> object:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("write the time as a string HH:MM, e.g. \"17:30\"")
    if not re.fullmatch(CLOCK_TIME, value):
        raise ValueError("write the time as HH:MM, e.g. 17:30")
    return parse_reminder_time(value)


def _leave_out_default(schema: dict) -> None:
    # An omitted field is left unchanged; documenting "default: null" would say it is cleared.
    schema.pop("default", None)


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": CLOCK_TIME, "examples": ["17:30"]}),
]
Language = Literal["da", "en"]
Name = plain_text(NAME_MAX)
Email = email(EMAIL_MAX)
Pronouns = plain_text(PRONOUNS_MAX, examples=["hun/hende", "de/dem", "han/ham"])
LastActivity = plain_text(LAST_ACTIVITY_MAX, examples=["spillede trommer"])


class NewMember(BaseModel):
    """A young person to add. Staff must have their consent first; it is recorded as given now."""

    model_config = ConfigDict(extra="forbid", strict=True)

    phone: Phone
    name: Name | None = None
    language: Language | None = Field(None, description="Danish if not given, for a new contact")
    reminder_time: ClockTime | None = None
    contact_person_name: Name | None = None
    contact_person_phone: PhoneOrEmpty | None = None
    contact_person_email: Email | None = None
    contact_person_consent: bool | None = Field(None, description="The young person agreed that the contact person may be told")
    pronouns: Pronouns | None = Field(None, description="Only if the young person chose to give them")
    last_activity: LastActivity | None = Field(None, description="What they did last time; the day-of message can mention it")


class MemberChanges(BaseModel):
    """Only the fields sent are changed; null clears a field."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name | None = None
    language: Language = Field(None, json_schema_extra=_leave_out_default)
    reminder_time: ClockTime | None = None
    contact_person_name: Name | None = None
    contact_person_phone: PhoneOrEmpty | None = None
    contact_person_email: Email | None = None
    contact_person_consent: bool = Field(None, json_schema_extra=_leave_out_default)
    pronouns: Pronouns | None = None
    last_activity: LastActivity | None = None


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    community: str
    name: str | None = Field(validation_alias=AliasPath("contact", "name"))
    phone: str | None
    language: str = Field(validation_alias=AliasPath("contact", "language"))
    status: Literal["joining", "active", "declined", "left"]
    source: str
    joined_at: datetime
    consent_at: datetime | None
    left_at: datetime | None
    reminder_time: ClockTime | None
    contact_person_name: str | None
    contact_person_phone: str | None
    contact_person_email: str | None
    contact_person_consent_at: datetime | None
    pronouns: str | None = Field(validation_alias=AliasPath("contact", "pronouns"))
    last_activity: str | None
    opted_out: OptedOut = Field(description="Said STOP: gets no messages at all, whatever the status")

    # Which of the contact's addresses is the phone number is the members module's rule.
    @model_validator(mode="before")
    @classmethod
    def _phone(cls, member: Any) -> RowWith:
        return RowWith(member, phone=phone_of(member))


class MemberListOut(BaseModel):
    members: list[MemberOut]


@route("GET", "/communities/<slug>/members", requires="staff", summary="List a community's members", response=MemberListOut)
def community_members(slug: str):
    """Everyone in the community who has not left, in the order they joined."""
    _require_community(slug)
    with _runtime().db.session() as session:
        return MemberListOut(members=list_members(session, slug))


@route(
    "POST", "/communities/<slug>/members", requires="staff", summary="Add a member", body=NewMember,
    response=MemberOut, statuses=(201, 200),
)
def add_community_member(slug: str, body: NewMember):
    """Add a young person (201), or update them if they are a member already (200).

    Staff must have the young person's consent before adding them: the member starts active and
    their consent is recorded as given now. A member who had left is active again.
    """
    _require_community(slug)
    with _runtime().db.session() as session:
        existed = find_member(session, community=slug, phone=body.phone) is not None
        member = add_member(session, community=slug, source="api", now=clock.now(), **body.model_dump(exclude_unset=True))
        log.info("api: %s %s member %s in %s", caller().name, "updated" if existed else "added", member.id, slug)
        return MemberOut.model_validate(member), 200 if existed else 201


@route("GET", "/members/<int:member_id>", requires="staff", summary="Get a member", response=MemberOut)
def get_member(member_id: int):
    with _runtime().db.session() as session:
        return MemberOut.model_validate(_member(session, member_id))


@route(
    "PATCH", "/members/<int:member_id>", requires="staff", summary="Change a member", body=MemberChanges,
    response=MemberOut,
)
def change_member(member_id: int, body: MemberChanges):
    """Change the fields sent. The phone number is who the member is; to change it, add them anew."""
    with _runtime().db.session() as session:
        member = update_member(session, _member(session, member_id), now=clock.now(), **body.model_dump(exclude_unset=True))
        log.info("api: %s changed member %s", caller().name, member.id)
        return MemberOut.model_validate(member)


@route("POST", "/members/<int:member_id>/leave", requires="staff", summary="The member leaves", response=MemberOut)
def member_leaves(member_id: int):
    """The member leaves the community and gets no more reminders from it. Nothing is deleted."""
    with _runtime().db.session() as session:
        member = leave(session, _member(session, member_id), clock.now())
        log.info("api: %s marked member %s as left", caller().name, member.id)
        return MemberOut.model_validate(member)


@route(
    "GET", "/communities/<slug>/members.csv", requires="staff", summary="Export the members for Excel",
    media_type="text/csv",
)
def community_members_csv(slug: str):
    """Semicolon-separated UTF-8 with a byte order mark, as Danish Excel expects; the columns are
    the ones `ungebot members import` reads, so an edited export can be imported again."""
    _require_community(slug)
    runtime = _runtime()
    with runtime.db.session() as session:
        data = members_csv(list_members(session, slug), ZoneInfo(runtime.settings.timezone))
    log.info("api: %s exported the members of %s", caller().name, slug)
    disposition = f"attachment; filename=\"members.csv\"; filename*=UTF-8''{quote(slug)}.csv"
    return Response(data, content_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})


def _runtime():
    return current_app.extensions["ungebot"]


def _require_community(slug: str) -> None:
    if slug not in known_communities(_runtime()):
        raise ApiError(404, f"no community {slug!r}")


def _member(session, member_id: int) -> Member:
    return get_or_404(session, Member, member_id, "member")
