"""The members pages: a community's young people (search, add, change, remove), a member's own
history (replies, attendance, mood check-ins, their conversation with the bot and its pictures),
and importing a spreadsheet of them.

For staff in their own communities and for admins. Everything goes through
``bot.domain.communities`` as the REST API does. Removing a member is ``members.forget``: the
young person's data is deleted at once, as SLET deletes an anonymous case. Every change, and
every look at a member's conversation, is in the staff audit by the member's id, never their
name or number. An uploaded spreadsheet goes to the worker in Redis (``csv_import.queue_import``),
never to disk or a log here; the page follows it by polling.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import phonenumbers
from babel.dates import format_date
from flask import abort, redirect, render_template, request, url_for

from bot.console.access import community_or_abort, my_communities, requires, runtime, theirs, viewer
from bot.console.blueprint import blueprint, language, menu
from bot.console.charts import Series, line_chart, svg_response
from bot.console.media import streamed_from_twilio, twilio_media_path_of
from bot.console.texts import TEXTS, text
from bot.core import clock
from bot.domain.communities import csv_import, members
from bot.domain.contacts import history
from bot.domain.mood import timeline
from bot.domain.staff import accounts
from bot.storage.models import MAX_ID, Member

ROLES = ("staff", "admin")
# A spreadsheet of a few thousand young people; the app's limit for every other request is 64 KB.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
# A longer list is for searching, not for scrolling.
LISTED_AT_MOST = 200
MOOD_DAYS = 182
FORM_TEXT_FIELDS = ("name", "language", "reminder_time", "contact_person_name", "contact_person_phone")

menu(
    20, "members_page", "members_menu",
    current=(
        "community_members", "new_member", "member_page", "member_media", "edit_member", "remove_member", "import_members", "import_progress",
    ),
)


@dataclass(frozen=True)
class Listed:
    id: int
    name: str | None
    phone: str
    status: str


@blueprint.url_value_preprocessor
def _room_for_a_spreadsheet(endpoint: str | None, values: dict | None) -> None:
    # Runs before the CSRF check reads the form, which would refuse a spreadsheet as too large.
    if endpoint == "console.import_members" and request.method == "POST":
        request.max_content_length = IMPORT_MAX_BYTES


@blueprint.get("/members")
@requires(*ROLES)
def members_page():
    """The viewer's communities to choose from, or straight to the one they have."""
    communities = my_communities()
    if len(communities) == 1:
        return redirect(url_for("console.community_members", slug=next(iter(communities))))
    return render_template("console/members_communities.html", communities=sorted(communities.items(), key=lambda item: item[1].name.casefold()))


@blueprint.get("/communities/<slug>/members")
@requires(*ROLES)
def community_members(slug: str):
    community = community_or_abort(slug)
    query = request.args.get("q", "").strip()[:100]
    with runtime().db.session() as db:
        everyone = members.search_members(db, slug)
        found = members.search_members(db, slug, query) if query else everyone
        listed = [Listed(member.id, member.contact.name, _shown(members.phone_of(member)), member.status) for member in found[:LISTED_AT_MOST]]
    view = dict(
        slug=slug, community=community, query=query, listed=listed, found=len(found), count=len(everyone),
        active=sum(1 for member in everyone if member.status == "active"), removed=request.args.get("removed") == "1",
    )
    if request.headers.get("HX-Request"):
        return render_template("console/_members_list.html", **view)
    return render_template("console/members.html", **view)


@blueprint.route("/communities/<slug>/members/new", methods=["GET", "POST"])
@requires(*ROLES)
def new_member(slug: str):
    community = community_or_abort(slug)
    typed: dict[str, str] = {"language": "da"}
    problems: dict[str, str] = {}
    existing_id = None
    if request.method == "POST":
        typed = _typed(with_phone=True)
        values, problems = _checked(typed, new=True)
        if not problems:
            now = clock.now()
            with runtime().db.session() as db:
                existing = members.find_member(db, community=slug, phone=values["phone"])
                if existing is not None and existing.status == "active":
                    problems["phone"], existing_id = _problem("already_member"), existing.id
                else:
                    member = members.add_member(db, community=slug, source="console", now=now, **values)
                    accounts.audit(db, viewer().email, "member_added", now, f"member {member.id} in {slug}")
                    added_id = member.id
            if not problems:
                return redirect(url_for("console.member_page", member_id=added_id, added=1), code=303)
    status = 422 if problems else 200
    return render_template(
        "console/members_form.html", new=True, slug=slug, community=community, typed=typed, problems=problems, existing_id=existing_id,
    ), status


@blueprint.get("/members/<int:member_id>")
@requires(*ROLES)
def member_page(member_id: int):
    now = clock.now()
    today = now.astimezone(runtime().settings.zone).date()
    with runtime().db.session() as db:
        member = _member(db, member_id)
        attended = members.attendance_history(db, member, until=now)
        asked = timeline.prompts_of(db, [member.contact_id], today - timedelta(days=MOOD_DAYS), today)
        check_ins = [prompt for prompt in asked if prompt.status != "planned"]
        phone = _shown(members.phone_of(member))
        conversation = [replace(said, status=_status_shown(said.status)) for said in history.recent(db, member.contact_id, mood_notes=viewer().role == "admin")]
        accounts.audit(db, viewer().email, "conversation_view", now, f"member {member.id}")
    community = my_communities().get(member.community)
    return render_template(
        "console/member.html", member=member, phone=phone, contact_person_phone=_shown(member.contact_person_phone), community=community, history=attended,
        check_ins=[(_day(prompt.local_date), prompt) for prompt in reversed(check_ins)],
        conversation=conversation, conversation_limit=history.RECENT,
        answered=any(prompt.score is not None for prompt in check_ins),
        added=request.args.get("added") == "1", saved=request.args.get("saved") == "1",
    )


@blueprint.get("/members/<int:member_id>/media/<int:message_id>/<int:index>")
@requires(*ROLES)
def member_media(member_id: int, message_id: int, index: int):
    """A picture or file the member sent, fetched from Twilio as a case's is (``bot.console.media``)."""
    with runtime().db.session() as db:
        member = _member(db, member_id)
        message = history.received_from(db, member.contact_id, message_id)
        path = twilio_media_path_of(message.attachments, index) if message is not None else None
        if path is None:
            abort(404)
        accounts.audit(db, viewer().email, "conversation_media_view", clock.now(), f"member {member_id}")
    return streamed_from_twilio(path)


@blueprint.get("/members/<int:member_id>/mood.svg")
@requires(*ROLES)
def member_mood_chart(member_id: int):
    today = clock.now().astimezone(runtime().settings.zone).date()
    with runtime().db.session() as db:
        check_ins = timeline.prompts_of(db, [_member(db, member_id).contact_id], today - timedelta(days=MOOD_DAYS), today)
    answered = [prompt for prompt in check_ins if prompt.score is not None]
    chart = line_chart(
        text("members_mood_chart", language()),
        [_day(prompt.local_date, short=True) for prompt in answered],
        [Series(text("members_mood_answer", language()), [prompt.score for prompt in answered])],
        y_range=(1, 5),
    )
    return svg_response(chart)


@blueprint.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@requires(*ROLES)
def edit_member(member_id: int):
    problems: dict[str, str] = {}
    with runtime().db.session() as db:
        member = _member(db, member_id)
        if request.method == "POST":
            typed = _typed(with_phone=False)
            values, problems = _checked(typed, new=False)
            if not problems:
                now = clock.now()
                members.update_member(db, member, now=now, **values)
                wants_messages = request.form.get("consent") == "yes"
                if member.status == "active" and not wants_messages:
                    members.leave(db, member, now)
                elif member.status != "active" and wants_messages:
                    members.join(db, member.contact, member.community, source="console", now=now)
                accounts.audit(db, viewer().email, "member_changed", now, f"member {member.id} in {member.community}")
        else:
            typed = _typed_from(member)
    if request.method == "POST" and not problems:
        return redirect(url_for("console.member_page", member_id=member_id, saved=1), code=303)
    return render_template(
        "console/members_form.html", new=False, member=member, slug=member.community, community=my_communities().get(member.community),
        typed=typed, problems=problems, existing_id=None,
    ), 422 if problems else 200


@blueprint.route("/members/<int:member_id>/remove", methods=["GET", "POST"])
@requires(*ROLES)
def remove_member(member_id: int):
    """A confirmation that says what goes; then everything it said, at once (``members.forget``)."""
    with runtime().db.session() as db:
        member = _member(db, member_id)
        slug, name = member.community, member.contact.name
        if request.method == "POST":
            members.forget(db, member)
            accounts.audit(db, viewer().email, "member_removed", clock.now(), f"member {member_id} in {slug}")
        else:
            gone = members.forgetting(db, member)
    if request.method == "POST":
        return redirect(url_for("console.community_members", slug=slug, removed=1), code=303)
    known = my_communities()
    return render_template(
        "console/members_remove.html", member=member, name=name, gone=gone, community=known.get(slug),
        others=", ".join(known[other].name if other in known else other for other in gone.other_communities),
    )


@blueprint.route("/communities/<slug>/members/import", methods=["GET", "POST"])
@requires(*ROLES)
def import_members(slug: str):
    community = community_or_abort(slug)
    problem = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = text("members_import_no_file", language())
        else:
            try:
                # Read into memory and handed to Redis; Werkzeug drops its spooled copy at the request's end.
                import_id = csv_import.queue_import(runtime(), upload.read(), community=slug)
            except csv_import.CsvFileError as error:
                problem = text(f"members_import_file_{error.code}", language(), column=error.column)
            else:
                with runtime().db.session() as db:
                    accounts.audit(db, viewer().email, "members_imported", clock.now(), f"import {import_id} into {slug}")
                return redirect(url_for("console.import_progress", slug=slug, import_id=import_id), code=303)
    return render_template("console/members_import.html", slug=slug, community=community, problem=problem), 422 if problem else 200


@blueprint.get("/communities/<slug>/members/import/<int:import_id>")
@requires(*ROLES)
def import_progress(slug: str, import_id: int):
    """How far the worker has come; htmx asks again each second until it is done."""
    community = community_or_abort(slug)
    progress = csv_import.import_progress(runtime(), import_id) if import_id <= MAX_ID else None
    if progress is not None and progress.community != slug:
        progress = None
    polled = bool(request.headers.get("HX-Request"))
    template = "console/_members_import_progress.html" if polled else "console/members_import_progress.html"
    # A poll that finds the import gone still gets its answer shown (htmx swaps no 404).
    return render_template(template, slug=slug, community=community, import_id=import_id, progress=progress), 200 if progress or polled else 404


def _member(db, member_id: int) -> Member:
    """The member, 404 if there is none, 403 if they are not in the viewer's communities."""
    return theirs(db, Member, member_id)


def _typed(*, with_phone: bool) -> dict[str, str]:
    fields = ("phone", *FORM_TEXT_FIELDS) if with_phone else FORM_TEXT_FIELDS
    typed = {field: request.form.get(field, "").strip() for field in fields}
    for box in ("consent", "contact_person_consent"):
        typed[box] = "yes" if request.form.get(box) == "yes" else ""
    return typed


def _typed_from(member: Member) -> dict[str, str]:
    return {
        "name": member.contact.name or "",
        "language": member.contact.language,
        "reminder_time": member.reminder_time.strftime("%H:%M") if member.reminder_time else "",
        "contact_person_name": member.contact_person_name or "",
        "contact_person_phone": member.contact_person_phone or "",
        "consent": "yes" if member.status == "active" else "",
        "contact_person_consent": "yes" if member.contact_person_consent_at else "",
    }


def _checked(typed: dict[str, str], *, new: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The member's fields from the form, and what is wrong with them by field, in the reader's words.

    An empty field clears the value (on a new member: gives none).
    """
    values: dict[str, Any] = {field: typed[field] or None for field in ("name", "contact_person_name", "contact_person_phone")}
    values["language"] = typed["language"] or "da"
    values["contact_person_consent"] = typed["contact_person_consent"] == "yes"
    if new:
        values["phone"] = typed["phone"]
    problems = {error.field: _problem(error.code, error.limit) for error in members.form_problems(values)}
    values["reminder_time"] = None
    if typed["reminder_time"]:
        try:
            values["reminder_time"] = members.parse_reminder_time(typed["reminder_time"])
        except members.MemberError as error:
            problems["reminder_time"] = _problem(error.code)
    if new and typed["consent"] != "yes":
        problems["consent"] = _problem("consent_needed")
    return values, problems


def _problem(code: str, number: int | None = None) -> str:
    said = text(f"members_problem_{code}", language(), number=number)
    return said[:1].upper() + said[1:] + "."


def _shown(phone: str | None) -> str:
    """+45 20 12 34 56: a number as people read it."""
    if not phone:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return phone


def _status_shown(status: str | None) -> str | None:
    """A delivery status in words the console has, "unknown" for one a provider may add later."""
    return status if status is None or f"status_{status}" in TEXTS else "unknown"


def _day(day: date, *, short: bool = False) -> str:
    return format_date(day, "d/M" if short else "d. MMM y", locale=language())
