"""A young person's conversation with the bot, on their member page: what they wrote (a picture
from an MMS streamed through the console, fetched with our Twilio account's credentials) and what
the bot answered, for staff of their community only; a notification about them links to it;
their anonymous case is never part of it, and nothing of it reaches a log."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select
from test_media import DRAWING_SID, MESSAGE_SID, PHOTO, PHOTO_SID, TwilioWithMedia, media_url, send_mms

from bot.core import clock
from bot.domain import inbound
from bot.domain.communities import members
from bot.domain.contacts import linking
from bot.domain.staff import accounts
from bot.storage.models import Contact, InboundMessage, Member, MoodPrompt, OutboundMessage, StaffAudit, StaffNotification
from bot.web import create_app

from conftest import ACCOUNT_SID, AUTH_TOKEN, SHIPPED_FLOWS
from helpers import drain
from support.console import PASSWORD, csrf_of, sign_in
from support.counselling import FREJA, OLIVER, QUESTION, THURSDAY_EVENING, case_keys, write

CAFE, GYM = "cafe", "gym"
KIRSTEN, LARS, ANNE = "kirsten@kommune.dk", "lars@kommune.dk", "anne@kommune.dk"
LETTER = "Se mit brev <b>fra udlejer</b>"


@pytest.fixture
def twilio_media(twilio):
    with TwilioWithMedia(twilio) as server:
        yield server


@pytest.fixture
def service(runtime_factory, tmp_path, twilio_media):
    """The shipped flows on a Thursday evening, Twilio's API (and its media) on one server, and
    Kirsten on the café's staff, Lars on the gym's."""
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, flows, ignore=shutil.ignore_patterns("tests"))
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(flows_dir=flows, twilio_api_url=twilio_media.url, **case_keys())
    assert {CAFE, GYM} <= set(runtime.flows.current().communities), runtime.flows.last_result.problems
    with runtime.db.session() as db:
        for role, email, communities in (("staff", KIRSTEN, [CAFE]), ("staff", LARS, [GYM]), ("admin", ANNE, []), ("counsellor", "sofie@kommune.dk", [])):
            accounts.add_user(db, email=email, role=role, communities=communities, password=PASSWORD, now=clock.now())
    return runtime


@pytest.fixture
def app(service):
    return create_app(service)


def join(runtime, phone: str, name: str, community: str = CAFE) -> int:
    with runtime.db.session() as db:
        member = members.add_member(db, community=community, phone=phone, name=name, source="console", now=clock.now())
        db.flush()
        return member.id


def the_picture(runtime) -> int:
    with runtime.db.session() as db:
        (message_id,) = db.scalars(select(InboundMessage.id).where(InboundMessage.attachments.is_not(None))).all()
    return message_id


def conversation_audit(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.session() as db:
        rows = db.scalars(select(StaffAudit).where(StaffAudit.action.like("conversation%")).order_by(StaffAudit.id))
        return [(row.actor, row.action, row.detail) for row in rows]


def test_a_picture_a_member_sends_shows_in_their_conversation_and_reaches_staff_through_the_console(app, service, twilio_media, captured_logs):
    freja = join(service, FREJA, "Freja")
    send_mms(app, FREJA, LETTER, [(media_url(PHOTO_SID), "image/jpeg")])
    drain(service)
    message_id = the_picture(service)
    kirsten = sign_in(app, "staff", email=KIRSTEN)

    page = kirsten.get(f"/console/members/{freja}").get_data(as_text=True)
    conversation = page[page.index('id="conversation"'):]
    link = f"/console/members/{freja}/media/{message_id}/0"
    assert f'href="{link}"' in conversation and "Vedhæftet (billede)" in conversation
    assert "Se mit brev &lt;b&gt;fra udlejer&lt;/b&gt;" in conversation and "<b>fra udlejer" not in page, "what they wrote is text, never HTML"
    assert conversation.index("Se mit brev") < conversation.index("Tak for din besked"), "the bot's answer follows, newest last"
    assert MESSAGE_SID not in page and "twilio.com" not in page, "Twilio's message sid leads to the number"

    shown = kirsten.get(link)
    assert (shown.status_code, shown.data, shown.mimetype) == (200, PHOTO, "image/jpeg")
    assert shown.headers["Content-Disposition"] == "inline" and "sandbox" in shown.headers["Content-Security-Policy"]
    assert twilio_media.asked == [("api", (ACCOUNT_SID, AUTH_TOKEN)), ("cdn", None)], "our credentials go to Twilio's API, never to its CDN"
    assert conversation_audit(service) == [(KIRSTEN, "conversation_view", f"member {freja}"), (KIRSTEN, "conversation_media_view", f"member {freja}")]
    logged = captured_logs()
    for secret in (MESSAGE_SID, PHOTO_SID, "api.twilio.com", FREJA, "Se mit brev"):
        assert secret not in logged, secret


def test_only_staff_of_the_members_community_get_the_picture_and_only_of_that_members_messages(app, service, twilio_media):
    freja = join(service, FREJA, "Freja")
    oliver = join(service, OLIVER, "Oliver")
    send_mms(app, FREJA, "", [(media_url(PHOTO_SID), "image/jpeg"), (media_url(DRAWING_SID, account="AC" + "9" * 32), "image/jpeg")])
    drain(service)
    message_id = the_picture(service)
    link = f"/console/members/{freja}/media/{message_id}"

    lars = sign_in(app, "staff", email=LARS)
    assert (lars.get(f"/console/members/{freja}").status_code, lars.get(f"{link}/0").status_code) == (403, 403)
    assert sign_in(app, "counsellor").get(f"{link}/0").status_code == 403
    kirsten = sign_in(app, "staff", email=KIRSTEN)
    page = kirsten.get(f"/console/members/{freja}").get_data(as_text=True)
    assert "[billede] [billede]" in page and f'href="{link}/1"' not in page, "another Twilio account's media is neither fetched nor linked"
    for wrong in (f"/console/members/{oliver}/media/{message_id}/0", f"{link}/1", f"{link}/2", f"/console/members/{freja}/media/{message_id + 1000}/0"):
        assert kirsten.get(wrong).status_code == 404, wrong
    assert twilio_media.asked == []
    assert sign_in(app, "admin").get(f"{link}/0").status_code == 200


def test_an_instagram_picture_is_linked_as_meta_gives_it_and_an_anonymous_case_is_never_shown(app, service):
    freja = join(service, FREJA, "Freja")
    picture = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x"
    on_instagram = inbound.receive(
        service, channel="instagram", scheme="instagram", address="17841400000000001:6543210987654321", body="", provider_id="mid.pic",
        attachments=[{"type": "image", "url": picture}],
    )
    drain(service)
    with service.db.session() as db:
        linking.link(db, db.get(Contact, on_instagram.contact_id), FREJA, clock.now())  # as NUMMER does, once she typed the code
    write(service, FREJA, "RÅD")
    write(service, FREJA, "Nej")
    write(service, FREJA, QUESTION)
    with service.db.session() as db:
        assert db.get(Member, freja).contact_id == on_instagram.contact_id
        to_the_case = db.scalars(select(OutboundMessage.body).where(OutboundMessage.case_id.is_not(None))).all()
    assert to_the_case, "the case was answered"

    page = sign_in(app, "staff", email=KIRSTEN).get(f"/console/members/{freja}").get_data(as_text=True)
    conversation = page[page.index('id="conversation"'):]
    assert 'href="https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&amp;signature=x"' in conversation
    assert "Tak for din besked" in conversation, "the bot's answer on Instagram"
    for in_the_case in (QUESTION, '<p class="body">RÅD</p>', '<p class="body">Nej</p>'):
        assert in_the_case not in page, f"what they wrote in a case is the counsellor's: {in_the_case}"
    assert not any(body in conversation for body in to_the_case), "and so is what the case answered"


def test_a_notification_about_a_young_person_links_to_their_conversation_in_the_viewers_community(app, service):
    freja = join(service, FREJA, "Freja")
    gym_freja = join(service, FREJA, "Freja", community=GYM)
    send_mms(app, FREJA, "", [(media_url(PHOTO_SID), "image/jpeg")])
    drain(service)
    with service.db.session() as db:
        told = {row.flow: (row.id, row.text) for row in db.scalars(select(StaffNotification))}
    assert set(told) == {CAFE, GYM} and all("Se beskeden i samtalen" in text for _, text in told.values())
    to_the_cafe, to_the_gym = f'href="/console/members/{freja}#conversation"', f'href="/console/members/{gym_freja}#conversation"'

    kirsten = sign_in(app, "staff", email=KIRSTEN).get("/console/notifications").get_data(as_text=True)
    assert to_the_cafe in kirsten and to_the_gym not in kirsten and "Se samtalen" in kirsten
    admin = sign_in(app, "admin").get("/console/notifications").get_data(as_text=True)
    assert to_the_cafe in admin and to_the_gym in admin, "each community's note leads to the young person in that community"
    lars = sign_in(app, "staff", email=LARS)
    page = lars.get("/console/notifications")
    assert to_the_gym in page.get_data(as_text=True) and to_the_cafe not in page.get_data(as_text=True)
    seen = lars.post(f"/console/notifications/{told[GYM][0]}/seen", data={"csrf_token": csrf_of(page)}, headers={"HX-Request": "true"})
    assert to_the_gym in seen.get_data(as_text=True), "still there once seen"
    assert "Se samtalen" not in sign_in(app, "counsellor").get("/console/notifications").get_data(as_text=True), "member pages are staff's"


def test_the_words_a_young_person_told_a_mood_check_in_are_an_admins_to_read_not_staffs(app, service):
    freja = join(service, FREJA, "Freja")
    words = "Min far drikker igen og jeg sover ikke"
    with service.db.session() as db:
        contact_id = db.get_one(Member, freja).contact_id
        db.add(MoodPrompt(checkin="humoer", contact_id=contact_id, member_id=freja, local_date=clock.now().date(), send_at=clock.now(),
                          status="answered", score=2, note=words, answered_at=clock.now(), updated_at=clock.now()))
    inbound.receive(service, channel="sms", scheme="tel", address=FREJA, body=f"  {words}", provider_id="SMmoodnote")
    staff_page = sign_in(app, "staff", email=KIRSTEN).get(f"/console/members/{freja}").get_data(as_text=True)
    assert words not in staff_page and "Kun administratorer kan læse dem." in staff_page
    admin_page = sign_in(app, "admin", email=ANNE).get(f"/console/members/{freja}").get_data(as_text=True)
    assert words in admin_page, "as the API's notes=true: admins alone"
