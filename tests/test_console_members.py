"""The console's members pages as a youth worker uses them: finding a young person, adding one
(and a mistyped number), changing their details, removing them with everything about them, their
own history, and importing a spreadsheet whose bad lines are named while the rest are imported.
Staff of another community are refused every one of them."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core import clock
from bot.domain.staff import accounts
from bot.jobs.member_import import import_chunk
from bot.storage.models import (
    Attendance,
    Contact,
    Event,
    InboundMessage,
    Member,
    MoodPrompt,
    OutboundMessage,
    Reminder,
    StaffAudit,
)

from conftest import ACCOUNT_SID, SERVER_DATABASE
from helpers import database_dump, drain
from support.console import PASSWORD, csrf_of, sign_in
from support.staff_api import CAFE, FREJA, IDA, OLIVER, join, local

ELSEWHERE = "lars@kommune.dk"
BAD_ROWS_CSV = (
    "\ufeffnavn;telefon;sprog;påmindelse\r\n"
    "Alma Andersen;+4529600001;da;17:30\r\n"
    "Bo Berg;29 60 00 02;engelsk;\r\n"
    "Uden Nummer;;da;\r\n"
    "Cecilie Clausen;+4529600004;da;\r\n"
    "Sen Aften;+4529600005;da;25:00\r\n"
    "Dagmar Dahl;+4529600006;en;16.00\r\n"
).encode()


def audit_of(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.session() as db:
        return [(row.actor, row.action, row.detail) for row in db.scalars(select(StaffAudit).order_by(StaffAudit.id)) if row.action.startswith("member")]


def count(runtime, model, *where) -> int:
    with runtime.db.session() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def page_text(answer) -> str:
    return answer.get_data(as_text=True)


def upload(browser, data: bytes, name: str = "medlemmer.csv"):
    from io import BytesIO

    form = browser.get(f"/console/communities/{CAFE}/members/import")
    return browser.post(
        f"/console/communities/{CAFE}/members/import",
        data={"csrf_token": csrf_of(form), "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_members_menu_goes_straight_to_the_one_community_and_finds_by_name_or_the_last_digits(console, cafe):
    freja = join(cafe, FREJA, "Freja Ærø")
    join(cafe, OLIVER, "Oliver")
    ida = join(cafe, IDA, "Ida")
    with cafe.db.session() as db:
        db.get(Member, ida).status = "left"
    staff = sign_in(console, "staff")
    assert staff.get("/console/members").location.endswith(f"/console/communities/{CAFE}/members")

    everyone = page_text(staff.get(f"/console/communities/{CAFE}/members"))
    assert "3 medlemmer, 2 aktive" in everyone
    assert all(name in everyone for name in ("Freja Ærø", "Oliver", "Ida", "+45 29 50 00 01", "udmeldt"))
    assert everyone.index("Freja") < everyone.index("Oliver") < everyone.index("Ida"), "the active by name, then who left"
    assert 'hx-get="/console/communities/torsdag/members"' in everyone and 'method="get"' in everyone, "live search, and a plain form without JS"

    by_name = page_text(staff.get(f"/console/communities/{CAFE}/members", query_string={"q": "ærø"}))
    assert "Freja Ærø" in by_name and "Oliver" not in by_name and "1 fundet" in by_name
    live = staff.get(f"/console/communities/{CAFE}/members", query_string={"q": "00 02"}, headers={"HX-Request": "true"})
    html = page_text(live)
    assert "Oliver" in html and "Freja" not in html and "<html" not in html, "just the list, for htmx"
    assert 'id="members-found" hx-swap-oob="innerHTML">1 fundet' in html, "the count, where a screen reader hears it"
    assert "Ingen passer på søgningen." in page_text(staff.get(f"/console/communities/{CAFE}/members", query_string={"q": "Zebra"}))
    assert f"/console/members/{freja}" in everyone


def test_adding_a_member_and_a_mistyped_number_told_in_danish(console, cafe):
    staff = sign_in(console, "staff")
    form = staff.get(f"/console/communities/{CAFE}/members/new")
    assert form.status_code == 200 and "Telefonnummer" in page_text(form)
    token = csrf_of(form)

    wrong = staff.post(f"/console/communities/{CAFE}/members/new", data={"csrf_token": token, "phone": "12", "name": "Freja", "reminder_time": "25:00"})
    html = page_text(wrong)
    assert wrong.status_code == 422
    assert "Det er ikke et telefonnummer; skriv det som 20 12 34 56 eller +45 20 12 34 56." in html
    assert "Skriv tiden som TT:MM, fx 17:30." in html
    assert "Den unge skal have sagt ja, før du tilføjer dem." in html
    assert 'aria-invalid="true"' in html and 'value="Freja"' in html, "what was typed stays"
    assert count(cafe, Contact) == 0, "nothing stored from a refused form"

    added = staff.post(
        f"/console/communities/{CAFE}/members/new",
        data={
            "csrf_token": token, "phone": "29 50 00 01", "name": "Freja", "language": "en", "reminder_time": "17:30", "consent": "yes",
            "contact_person_name": "Mette", "contact_person_phone": "29 50 00 99", "contact_person_consent": "yes",
        },
    )
    assert added.status_code == 303
    member_page = staff.get(added.location)
    assert "Medlemmet er tilføjet." in page_text(member_page) and "+45 29 50 00 01" in page_text(member_page)
    with cafe.db.session() as db:
        member = db.scalars(select(Member)).one()
        assert (member.contact.name, member.contact.language, member.reminder_time.strftime("%H:%M"), member.source) == ("Freja", "en", "17:30", "console")
        assert (member.contact_person_phone, member.contact_person_consent_at is not None, member.status) == ("+4529500099", True, "active")
    assert audit_of(cafe) == [("kirsten@kommune.dk", "member_added", f"member {member.id} in {CAFE}")]

    again = staff.post(f"/console/communities/{CAFE}/members/new", data={"csrf_token": token, "phone": FREJA, "consent": "yes"})
    assert again.status_code == 422 and "Nummeret er allerede medlem." in page_text(again) and f"/console/members/{member.id}" in page_text(again)
    assert count(cafe, Member) == 1


def test_changing_a_members_details_and_their_consent(console, cafe):
    member_id = join(cafe, FREJA, "Freja")
    with cafe.db.session() as db:
        starts = local(2026, 11, 26, 16)
        event = Event(community=CAFE, starts_at=starts, ends_at=starts + timedelta(hours=5), local_date=starts.date(), kind="schedule")
        db.add(event)
        db.flush()
        db.add(Reminder(member_id=member_id, event_id=event.id, send_at=local(2026, 11, 26, 10), status="planned", updated_at=clock.now()))
    staff = sign_in(console, "staff")
    form = staff.get(f"/console/members/{member_id}/edit")
    assert 'value="Freja"' in page_text(form) and 'name="consent" type="checkbox" value="yes" checked' in page_text(form)
    token = csrf_of(form)

    refused = staff.post(f"/console/members/{member_id}/edit", data={"csrf_token": token, "name": "x" * 101, "consent": "yes", "language": "da"})
    assert refused.status_code == 422 and "For lang (højst 100 tegn)." in page_text(refused)

    saved = staff.post(
        f"/console/members/{member_id}/edit",
        data={
            "csrf_token": token, "name": "Freja F.", "language": "en", "reminder_time": "18.15", "contact_person_name": "Mette",
            "contact_person_phone": "+4529500099", "contact_person_consent": "yes", "consent": "yes",
        },
    )
    assert saved.status_code == 303 and "Gemt." in page_text(staff.get(saved.location))
    with cafe.db.session() as db:
        member = db.get(Member, member_id)
        assert (member.contact.name, member.contact.language, member.reminder_time.strftime("%H:%M")) == ("Freja F.", "en", "18:15")
        assert (member.contact_person_name, member.contact_person_consent_at is not None, member.status) == ("Mette", True, "active")

    left = staff.post(f"/console/members/{member_id}/edit", data={"csrf_token": token, "name": "Freja F.", "language": "en", "contact_person_name": "Mette"})
    assert left.status_code == 303
    with cafe.db.session() as db:
        member = db.get(Member, member_id)
        assert (member.status, member.reminder_time, member.contact_person_consent_at) == ("left", None, None), "empty clears; unticked leaves"
        assert db.scalars(select(Reminder.status)).all() == ["cancelled"], "no more reminders"
    staff.post(f"/console/members/{member_id}/edit", data={"csrf_token": token, "language": "da", "consent": "yes"})
    with cafe.db.session() as db:
        assert db.get(Member, member_id).status == "active", "ticked again: back, with consent recorded now"
    assert [action for _, action, _ in audit_of(cafe)] == ["member_changed"] * 3


def history_of(runtime, member_id: int) -> None:
    """Three Thursdays (a yes and came, a no, no reply and did not come), three mood answers (one
    with the young person's own words) and a message each way (theirs with a picture)."""
    thursday = local(2026, 11, 26, 16)
    with runtime.db.session() as db:
        member = db.get(Member, member_id)
        for weeks_ago, reply, presence in ((3, "confirmed", "attended"), (2, "declined", None), (1, None, "absent")):
            starts = thursday - timedelta(weeks=weeks_ago)
            event = Event(community=CAFE, starts_at=starts, ends_at=starts + timedelta(hours=5), local_date=starts.date(), kind="schedule")
            db.add(event)
            db.flush()
            db.add(Reminder(member_id=member_id, event_id=event.id, send_at=starts - timedelta(hours=6), status="sent", updated_at=starts))
            if reply or presence:
                replied = starts - timedelta(hours=5) if reply else None
                db.add(Attendance(member_id=member_id, event_id=event.id, reply=reply, reply_at=replied, presence=presence, updated_at=starts))
        for days_ago, score, note in ((14, 4, None), (7, 2, "det går ikke så godt med min mor"), (1, 3, None)):
            asked = thursday - timedelta(days=days_ago)
            db.add(MoodPrompt(
                checkin="humoer", contact_id=member.contact_id, member_id=member_id, local_date=asked.date(), send_at=asked,
                status="answered", score=score, note=note, answered_at=asked, updated_at=asked,
            ))
        twilio_url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'1' * 32}/Media/ME{'1' * 32}"
        picture = {"type": "image", "content_type": "image/jpeg", "url": twilio_url}
        db.add(InboundMessage(
            contact_id=member.contact_id, channel="sms", provider_id="MM1", body="Ja jeg kommer", attachments=[picture], received_at=clock.now(),
        ))
        db.add(OutboundMessage(
            contact_id=member.contact_id, channel="sms", to_address=FREJA, body="Hej Freja! Caféen har åbent i dag.", kind="reminder",
            status="delivered", send_after=clock.now(), created_at=clock.now(),
        ))


def test_a_members_own_history_replies_attendance_and_mood_without_their_words(console, cafe):
    member_id = join(cafe, FREJA, "Freja")
    history_of(cafe, member_id)
    staff = sign_in(console, "staff")
    html = page_text(staff.get(f"/console/members/{member_id}"))
    attendance = html[html.index('id="member-attendance-heading"'):html.index('id="member-mood-heading"')]
    assert re.findall(r"<td>(kommer ikke|kommer|intet svar)", attendance) == ["intet svar", "kommer ikke", "kommer"], "newest first"
    assert attendance.count(">svarede ") == 2 and ">kom<" in attendance and ">kom ikke<" in attendance
    mood = html[html.index('id="member-mood-heading"'):]
    assert re.findall(r"<strong>(\d)</strong>", mood) == ["3", "2", "4"] and "skrev mere" in mood
    assert "det går ikke så godt" not in html, "the young person's own words are not for this page"
    assert f'<img src="/console/members/{member_id}/mood.svg" alt="' in html
    chart = staff.get(f"/console/members/{member_id}/mood.svg")
    assert chart.status_code == 200 and chart.content_type.startswith("image/svg+xml") and "<svg" in page_text(chart)
    before, conversation = html.split('id="conversation"')
    assert "Ja jeg kommer" in conversation and "Hej Freja" in conversation and "modtaget" in conversation, "messages are in the conversation"
    assert re.search(rf'href="/console/members/{member_id}/media/\d+/0"', conversation)
    assert "Ja jeg kommer" not in before and "Hej Freja" not in before


def test_removing_a_member_deletes_the_young_persons_data_as_slet_does(console, cafe):
    member_id = join(cafe, FREJA, "Freja Testesen")
    history_of(cafe, member_id)
    other = join(cafe, OLIVER, "Oliver")
    staff = sign_in(console, "staff")
    confirm = staff.get(f"/console/members/{member_id}/remove")
    html = page_text(confirm)
    assert "Slet Freja Testesen og deres data?" in html
    assert all(said in html for said in ("3 svar og fremmøder", "3 svar på humør-tjek", "navn, telefonnummer og 2 beskeder til og fra den unge"))
    assert count(cafe, Member) == 2, "asking deletes nothing"

    removed = staff.post(f"/console/members/{member_id}/remove", data={"csrf_token": csrf_of(confirm)})
    assert removed.status_code == 303 and "Medlemmet og deres data er slettet." in page_text(staff.get(removed.location))
    dump = "\n".join(database_dump(cafe).values())
    for trace in ("Freja", "29500001", "Ja jeg kommer", "det går ikke så godt"):
        assert trace not in dump, f"{trace!r} is still in the database"
    assert count(cafe, Member) == 1 and count(cafe, Attendance) == 0 and count(cafe, MoodPrompt) == 0 and count(cafe, Reminder) == 0
    assert staff.get(f"/console/members/{other}").status_code == 200, "nobody else's data"
    assert staff.get(f"/console/members/{member_id}").status_code == 404
    assert audit_of(cafe) == [("kirsten@kommune.dk", "member_removed", f"member {member_id} in {CAFE}")]


def test_removing_a_member_of_two_communities_keeps_them_in_the_other(console, cafe):
    member_id = join(cafe, FREJA, "Freja")
    with cafe.db.session() as db:
        contact_id = db.get(Member, member_id).contact_id
        db.add(Member(contact_id=contact_id, community="gym", status="active", source="api", joined_at=clock.now(), consent_at=clock.now()))
    staff = sign_in(console, "staff")
    confirm = staff.get(f"/console/members/{member_id}/remove")
    assert "Den unge er også med i gym" in page_text(confirm) and "navn, telefonnummer" not in page_text(confirm)
    staff.post(f"/console/members/{member_id}/remove", data={"csrf_token": csrf_of(confirm)})
    with cafe.db.session() as db:
        assert db.scalars(select(Member.community)).all() == ["gym"] and db.get(Contact, contact_id).name == "Freja"


def test_staff_of_another_community_are_refused_a_members_page_and_every_action(console, cafe):
    member_id = join(cafe, FREJA, "Freja")
    with cafe.db.session() as db:
        accounts.add_user(db, email=ELSEWHERE, role="staff", communities=["andet"], password=PASSWORD, now=clock.now())
    lars = sign_in(console, "staff", email=ELSEWHERE)
    token = csrf_of(lars.get("/console/members"))
    assert "Du arbejder ikke i nogen fællesskaber endnu" in page_text(lars.get("/console/members"))
    for method, url in (
        ("GET", f"/console/members/{member_id}"), ("GET", f"/console/members/{member_id}/mood.svg"), ("GET", f"/console/members/{member_id}/edit"),
        ("POST", f"/console/members/{member_id}/edit"), ("GET", f"/console/members/{member_id}/remove"), ("POST", f"/console/members/{member_id}/remove"),
        ("GET", f"/console/communities/{CAFE}/members"), ("POST", f"/console/communities/{CAFE}/members/new"),
        ("POST", f"/console/communities/{CAFE}/members/import"), ("GET", f"/console/communities/{CAFE}/members/import/1"),
    ):
        answer = lars.open(url, method=method, data={"csrf_token": token, "name": "Hacket", "consent": "yes"} if method == "POST" else None)
        assert answer.status_code == 403, (method, url, answer.status_code)
    with cafe.db.session() as db:
        assert db.get(Member, member_id).contact.name == "Freja" and db.get(Member, member_id).status == "active"
    assert sign_in(console, "counsellor").get(f"/console/members/{member_id}").status_code == 403, "a counsellor has no members pages"
    assert sign_in(console, "admin").get(f"/console/members/{member_id}").status_code == 200


def test_a_spreadsheet_with_two_bad_lines_imports_the_rest_and_names_the_lines(console, cafe):
    staff = sign_in(console, "staff")
    started = upload(staff, BAD_ROWS_CSV)
    assert started.status_code == 303
    progress_url = started.location
    waiting = page_text(staff.get(progress_url))
    assert "0 af 6 linjer" in waiting and 'hx-trigger="every 1s"' in waiting and "<progress" in waiting
    assert count(cafe, Member) == 0, "the web request only queued it"

    drain(cafe)
    done = staff.get(progress_url, headers={"HX-Request": "true"})
    html = page_text(done)
    assert "6 af 6 linjer" in html and "hx-trigger" not in html, "done: no more polling"
    assert "Færdig: 4 importeret, 2 sprunget over." in html
    assert "linje 4, telefon: telefonnummeret mangler" in html and "linje 6, påmindelse: skriv tiden som TT:MM, fx 17:30" in html
    assert 'id="members-import-result" hx-swap-oob="innerHTML"' in html
    with cafe.db.session() as db:
        names = sorted(member.contact.name for member in db.scalars(select(Member)))
    assert names == ["Alma Andersen", "Bo Berg", "Cecilie Clausen", "Dagmar Dahl"]
    assert not list(cafe.redis.scan_iter(f"{cafe.queue_prefix}:member-import:*:rows")), "the rows are gone from Redis once imported"
    assert [action for _, action, _ in audit_of(cafe)] == ["members_imported"]

    again = upload(staff, BAD_ROWS_CSV)
    drain(cafe)
    assert "Færdig: 4 importeret, 2 sprunget over." in page_text(staff.get(again.location))
    assert count(cafe, Member) == 4 and count(cafe, Contact) == 4, "a second upload of the same file doubles nobody"

    english = staff.post("/console/language", data={"language": "en", "csrf_token": csrf_of(staff.get(progress_url))})
    assert english.status_code in (302, 303)
    assert "line 4, telefon: the phone number is missing" in page_text(staff.get(progress_url))


def test_a_file_that_cannot_be_read_is_refused_whole_in_danish(console, cafe):
    staff = sign_in(console, "staff")
    unknown = upload(staff, "navn;telefon;skostørrelse\nAlma;+4529600001;38\n".encode())
    assert unknown.status_code == 422 and "Kolonnen »skostørrelse« kendes ikke." in page_text(unknown)
    no_phone = upload(staff, b"navn\nAlma\n")
    assert no_phone.status_code == 422 and "Der skal være en kolonne »telefon«" in page_text(no_phone)
    form = staff.get(f"/console/communities/{CAFE}/members/import")
    nothing = staff.post(f"/console/communities/{CAFE}/members/import", data={"csrf_token": csrf_of(form)}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and "Vælg en fil." in page_text(nothing)
    assert staff.get(f"/console/communities/{CAFE}/members/import/999999").status_code == 404
    assert count(cafe, Member) == 0


@pytest.mark.parametrize("database_url", [SERVER_DATABASE], indirect=True)
def test_two_thousand_rows_in_windows_excel_are_taken_in_one_quick_request_and_imported_a_chunk_per_job(console, cafe):
    lines = ["navn;telefon;sprog"] + [f"Ung nr. {number} Ærø;+4531{number:06d};dansk" for number in range(2000)]
    data = "\r\n".join(lines).encode("cp1252")
    assert len(data) > 64 * 1024, "larger than any other request may be"
    staff = sign_in(console, "staff")
    began = time.monotonic()
    started = upload(staff, data)
    assert started.status_code == 303 and time.monotonic() - began < 3, "the request only hands the rows over"
    import_id = int(started.location.rsplit("/", 1)[1])
    import_chunk(import_id)
    assert "100 af 2000 linjer" in page_text(staff.get(started.location)), "one chunk per job"
    drain(cafe, rounds=40)
    assert "Færdig: 2000 importeret, 0 sprunget over." in page_text(staff.get(started.location))
    with cafe.db.session() as db:
        assert db.scalar(select(func.count()).select_from(Member)) == 2000
        assert db.scalars(select(Contact.name).where(Contact.name.like("Ung nr. 7 %"))).one() == "Ung nr. 7 Ærø"
