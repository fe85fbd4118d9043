"""Pictures and files young people send: an MMS keeps its media references (and a flow reads a
plain word for them), a case shows them to the counsellor through the console, which fetches
Twilio's media with our account's credentials and streams it; nothing of it reaches a log, and
the counsellor's browser never sees Twilio's URL."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from bot.core import clock
from bot.domain import inbound
from bot.domain.staff import accounts
from bot.storage.models import CaseAudit, CaseMessage, InboundMessage
from bot.web import create_app

from conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, SHIPPED_FLOWS
from helpers import drain
from support.console import PASSWORD, sign_in
from support.counselling import FREJA, THURSDAY_EVENING, alias_of, case_keys, write
from support.local_server import LocalServer
from support.signing import inbound_sms_params, twilio_signature

SMS_PATH = "/webhooks/twilio/sms"
OUR_NUMBER = "+4570000001"
YOUNG_PERSON = "+4520112233"
MEDIA_PATH = re.compile(r"/2010-04-01/Accounts/(AC\w{32})/Messages/(MM\w{32})/Media/(ME\w{32})")
MESSAGE_SID = "MM" + "5" * 32
PHOTO_SID, DRAWING_SID, GONE_SID = "ME" + "1" * 32, "ME" + "2" * 32, "ME" + "3" * 32
PHOTO = b"\xff\xd8\xff\xe0 a photo of a letter from the landlord"
DRAWING = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def media_url(media_sid: str, account: str = ACCOUNT_SID) -> str:
    """Where Twilio says an MMS's media is, as it writes it in the webhook."""
    return f"https://api.twilio.com/2010-04-01/Accounts/{account}/Messages/{MESSAGE_SID}/Media/{media_sid}"


class TwilioWithMedia(LocalServer):
    """Twilio's API as the stand-in serves it, plus MMS media as Twilio serves it: behind our
    account's HTTP Basic auth, answered with a redirect to a CDN of its own, asked without them."""

    def __init__(self, twilio):
        super().__init__(name="twilio-with-media")
        self.twilio = twilio
        self.media = {PHOTO_SID: ("image/jpeg", PHOTO), DRAWING_SID: ("image/svg+xml", DRAWING)}
        self.asked: list[tuple[str, object]] = []  # (which server, the credentials it was asked with)
        self.cdn = LocalServer(self._cdn, name="twilio-cdn")

    def start(self):
        self.cdn.start()
        return super().start()

    def stop(self) -> None:
        super().stop()
        self.cdn.stop()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        found = MEDIA_PATH.fullmatch(request.path)
        if found is None:
            return self.twilio._wsgi(environ, start_response)
        credentials = (request.authorization.username, request.authorization.password) if request.authorization else None
        self.asked.append(("api", credentials))
        if credentials != (ACCOUNT_SID, AUTH_TOKEN) or found.group(1) != ACCOUNT_SID:
            response = Response('{"code": 20003, "message": "Authenticate", "status": 401}', status=401, content_type="application/json")
        elif found.group(3) not in self.media:
            response = Response('{"code": 20404, "status": 404}', status=404, content_type="application/json")
        else:
            response = Response(status=307, headers={"Location": f"{self.cdn.url}/{found.group(3)}"})
        return response(environ, start_response)

    def _cdn(self, environ, start_response):
        request = Request(environ)
        self.asked.append(("cdn", request.headers.get("Authorization")))
        content_type, data = self.media[request.path.strip("/")]
        return Response(data, content_type=content_type)(environ, start_response)


@pytest.fixture
def twilio_media(twilio):
    with TwilioWithMedia(twilio) as server:
        yield server


@pytest.fixture
def service(runtime_factory, tmp_path, twilio_media):
    """The shipped counselling file on a Thursday evening, with Twilio's API (and its media) on one server."""
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, flows, ignore=shutil.ignore_patterns("tests"))
    clock.set_now(THURSDAY_EVENING)
    runtime = runtime_factory(flows_dir=flows, twilio_api_url=twilio_media.url, **case_keys())
    assert runtime.flows.current().counselling is not None, runtime.flows.last_result.problems
    with runtime.db.session() as db:
        for role, email in (("counsellor", "sofie@kommune.dk"), ("staff", "kirsten@kommune.dk"), ("admin", "anne@kommune.dk")):
            accounts.add_user(db, email=email, role=role, communities=["torsdag"] if role == "staff" else [], password=PASSWORD, now=clock.now())
    return runtime


@pytest.fixture
def app(service):
    return create_app(service)


def send_mms(app, sender: str, body: str, media: list[tuple[str, str]]) -> None:
    params = inbound_sms_params(sender, OUR_NUMBER, body, message_sid=MESSAGE_SID, media=media)
    signature = twilio_signature(AUTH_TOKEN, PUBLIC_BASE_URL + SMS_PATH, params)
    assert app.test_client().post(SMS_PATH, data=params, headers={"X-Twilio-Signature": signature}).status_code == 200


def picture_in_a_case(app, service, media: list[tuple[str, str]]) -> tuple[str, int]:
    """Freja opens a case and sends a picture in it: (the alias, the picture's message id)."""
    write(service, FREJA, "RÅD")
    write(service, FREJA, "Nej")
    send_mms(app, FREJA, "", media)
    drain(service)
    with service.db.session() as db:
        (message_id,) = [m.id for m in db.scalars(select(CaseMessage)) if m.attachments]
    return alias_of(service, FREJA), message_id


# -- what is kept --------------------------------------------------------------------------------


def test_an_mms_keeps_its_media_and_a_flow_reads_plain_words_for_it(app, service, captured_logs):
    send_mms(app, YOUNG_PERSON, "", [(media_url(PHOTO_SID), "image/jpeg"), (media_url(DRAWING_SID), "text/vcard")])
    drain(service)
    with service.db.session() as db:
        message = db.scalars(select(InboundMessage)).one()
        assert message.body == "[billede] [fil]"
        assert message.attachments == [
            {"type": "image", "content_type": "image/jpeg", "url": media_url(PHOTO_SID)},
            {"type": "file", "content_type": "text/vcard", "url": media_url(DRAWING_SID)},
        ]
    logged = captured_logs()
    assert MESSAGE_SID not in logged and PHOTO_SID not in logged and "api.twilio.com" not in logged


def test_words_beside_a_picture_are_kept_as_written(app, service):
    send_mms(app, YOUNG_PERSON, "Se mit brev", [(media_url(PHOTO_SID), "image/jpeg")])
    with service.db.session() as db:
        message = db.scalars(select(InboundMessage)).one()
        assert (message.body, len(message.attachments)) == ("Se mit brev", 1)


# -- shown to the counsellor ------------------------------------------------------------------------


def test_a_picture_in_a_case_reaches_the_counsellor_through_the_console(app, service, twilio_media, captured_logs):
    alias, message_id = picture_in_a_case(app, service, [(media_url(PHOTO_SID), "image/jpeg")])
    sofie = sign_in(app, "counsellor")
    page = sofie.get(f"/console/cases/{alias}").get_data(as_text=True)
    link = f"/console/cases/{alias}/media/{message_id}/0"
    assert f'href="{link}"' in page and "[billede]" in page
    assert MESSAGE_SID not in page and "twilio.com" not in page, "Twilio's message sid leads to the number"

    shown = sofie.get(link)
    assert (shown.status_code, shown.data, shown.mimetype) == (200, PHOTO, "image/jpeg")
    assert shown.headers["Content-Disposition"] == "inline" and shown.headers["Cache-Control"] == "no-store"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    assert twilio_media.asked == [("api", (ACCOUNT_SID, AUTH_TOKEN)), ("cdn", None)], "our credentials go to Twilio's API, never to its CDN"
    with service.db.session() as db:
        assert db.scalars(select(CaseAudit.action).where(CaseAudit.case_alias == alias, CaseAudit.actor == "sofie@kommune.dk")).all() == ["view", "view"]
    logged = captured_logs()
    assert MESSAGE_SID not in logged and PHOTO_SID not in logged and "api.twilio.com" not in logged


def test_what_a_browser_could_run_is_handed_over_as_a_download(app, service):
    alias, message_id = picture_in_a_case(app, service, [(media_url(DRAWING_SID), "image/svg+xml")])
    shown = sign_in(app, "counsellor").get(f"/console/cases/{alias}/media/{message_id}/0")
    assert (shown.status_code, shown.mimetype, shown.headers["Content-Disposition"]) == (200, "application/octet-stream", "attachment")


def test_media_twilio_no_longer_has_is_not_found(app, service):
    alias, message_id = picture_in_a_case(app, service, [(media_url(GONE_SID), "image/jpeg")])
    assert sign_in(app, "counsellor").get(f"/console/cases/{alias}/media/{message_id}/0").status_code == 404


def test_only_a_counsellor_gets_media_and_only_our_accounts_from_twilio(app, service, twilio_media):
    someone_elses = media_url(PHOTO_SID, account="AC" + "9" * 32)
    alias, message_id = picture_in_a_case(app, service, [(media_url(PHOTO_SID), "image/jpeg"), (someone_elses, "image/jpeg")])
    link = f"/console/cases/{alias}/media/{message_id}"
    for role in ("staff", "admin"):
        assert sign_in(app, role).get(f"{link}/0").status_code == 403
    sofie = sign_in(app, "counsellor")
    page = sofie.get(f"/console/cases/{alias}").get_data(as_text=True)
    assert f'href="{link}/1"' not in page and "9" * 32 not in page, "another account's media is neither fetched nor linked"
    for wrong in (f"{link}/1", f"{link}/2", f"/console/cases/{alias}/media/{message_id + 1000}/0", f"/console/cases/Ung-0000/media/{message_id}/0"):
        assert sofie.get(wrong).status_code == 404, wrong
    assert twilio_media.asked == []


def test_an_instagram_picture_in_a_case_is_linked_as_meta_gives_it(app, service):
    picture = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x"
    inbound.receive(
        service, channel="instagram", scheme="instagram", address="17841400000000002:6543210987654321", body="",
        provider_id="mid.pic", attachments=[{"type": "image", "url": picture}], anonymous=True,
    )
    drain(service)
    with service.db.session() as db:
        (message,) = [m for m in db.scalars(select(CaseMessage)) if m.attachments]
        alias, message_id = message.case.alias, message.id
    sofie = sign_in(app, "counsellor")
    page = sofie.get(f"/console/cases/{alias}").get_data(as_text=True)
    assert 'href="https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&amp;signature=x"' in page and "[billede]" in page
    assert sofie.get(f"/console/cases/{alias}/media/{message_id}/0").status_code == 404, "not Twilio's: nothing to fetch for it"
