"""Instagram's small gestures and the shapes Meta sends them in: a heart, a sticker or a reaction is
met with silence (never "I've passed it on", never a note for staff); an ice breaker or the
get-started button arrives without a ``mid`` and is answered once; what was written to an
account that is not ours is ignored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import Case, CaseMessage, Contact, InboundMessage, StaffNotification
from bot.web import create_app

from helpers import drain, outbox
from support.instagram import APP_SECRET, COUNSELLING_PROFILE, OPEN_PROFILE, YOUNG_PERSON, entry, event, post, text

HEART = {"attachments": [{"type": "like_heart"}]}
STICKER = {"attachments": [{"type": "sticker", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=7"}}]}
# Messenger's way, which Instagram's webhook shares: an image attachment that is a sticker.
THUMBS_UP = {"sticker_id": 369239263222822, "attachments": [{"type": "image", "payload": {"url": "https://x.example/s.png", "sticker_id": 369239263222822}}]}
OTHER_ACCOUNT = "17841400000000009"


@pytest.fixture
def runtime(runtime_factory, instagram_flows_dir):
    return runtime_factory(flows_dir=instagram_flows_dir, meta_app_secret=APP_SECRET, quiet_hours="off")


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def gesture(mid: str, shape: dict, account: str = OPEN_PROFILE) -> dict:
    return {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": account}, "timestamp": 1764500000001, "message": {"mid": mid, **shape}}


def reaction(action: str) -> dict:
    return {
        "sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "timestamp": 1764500000002,
        "reaction": {"mid": "mid.ours", "action": action, "reaction": "love", "emoji": "\u2764\ufe0f"},
    }


def tapped(postback: dict, account: str = OPEN_PROFILE, timestamp: int = 1764500000003) -> dict:
    return {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": account}, "timestamp": timestamp, "postback": postback}


def count(runtime, model) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_heart_a_sticker_or_a_reaction_is_met_with_silence(client, runtime, graph):
    assert post(client, event(entry(OPEN_PROFILE, text("mid.1", "HJÆLP")))).status_code == 200
    drain(runtime)
    answered = len(outbox(runtime))
    items = [gesture("mid.h", HEART), gesture("mid.s", STICKER), gesture("mid.t", THUMBS_UP), reaction("react"), reaction("unreact")]
    assert post(client, event(entry(OPEN_PROFILE, *items))).status_code == 200
    drain(runtime)
    assert len(outbox(runtime)) == answered, "nothing said back"
    assert count(runtime, InboundMessage) == 1 and count(runtime, StaffNotification) == 0, "nothing for staff"


def test_a_heart_as_the_first_thing_makes_no_contact_and_gets_no_answer(client, runtime, graph):
    assert post(client, event(entry(OPEN_PROFILE, gesture("mid.h", HEART)))).status_code == 200
    drain(runtime)
    assert (count(runtime, Contact), len(outbox(runtime))) == (0, 0)


def test_a_heart_in_an_open_case_is_not_added_to_it(client, runtime, graph):
    question = text("mid.c1", "Jeg har et spørgsmål om min far", account=COUNSELLING_PROFILE)
    assert post(client, event(entry(COUNSELLING_PROFILE, question))).status_code == 200
    drain(runtime)
    said = len(outbox(runtime))
    assert post(client, event(entry(COUNSELLING_PROFILE, gesture("mid.c2", HEART, account=COUNSELLING_PROFILE)))).status_code == 200
    drain(runtime)
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseMessage).where(CaseMessage.direction == "in")) == 1, "the question alone"
    assert len(outbox(runtime)) == said, "and no new answer"


def test_words_beside_a_heart_are_read_and_the_heart_left_out(client, runtime):
    assert post(client, event(entry(OPEN_PROFILE, gesture("mid.w", {"text": "tak for i går", **HEART})))).status_code == 200
    with runtime.db.session() as session:
        message = session.scalars(select(InboundMessage)).one()
        assert (message.body, message.attachments) == ("tak for i går", None)


@pytest.mark.parametrize(
    "postback",
    [{"title": "Hvad kan du?", "payload": "HJÆLP"}, {"title": "HJÆLP"}],
    ids=["ice breaker", "only a title"],
)
def test_an_ice_breaker_without_a_mid_is_answered_once(client, runtime, graph, postback):
    payload = event(entry(OPEN_PROFILE, tapped(postback)))
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200, "Meta may deliver it twice"
    drain(runtime)
    with runtime.db.session() as session:
        message = session.scalars(select(InboundMessage)).one()
        assert (message.body, message.provider_id) == ("HJÆLP", f"postback.{YOUNG_PERSON}.1764500000003")
    answers = [m.body for m in outbox(runtime, channel="instagram")]
    assert len(answers) == 2 and answers[0].startswith("Hej! Jeg er Ungebot"), "the bot says it is a bot, then answers HJÆLP"


def test_ask_anonymously_without_a_mid_opens_one_case(client, runtime, graph):
    payload = event(entry(OPEN_PROFILE, tapped({"title": "Spørg anonymt", "payload": "RÅD"})))
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200
    assert (count(runtime, Case), count(runtime, Contact)) == (1, 0)


def test_a_postback_without_a_mid_or_a_moment_is_skipped(client, runtime):
    item = {"sender": {"id": YOUNG_PERSON}, "recipient": {"id": OPEN_PROFILE}, "postback": {"payload": "HJÆLP"}}
    assert post(client, event(entry(OPEN_PROFILE, item))).status_code == 200
    assert count(runtime, InboundMessage) == 0, "without either, a redelivery could not be told from a new tap"


def test_what_was_written_to_an_account_that_is_not_ours_is_ignored(client, runtime, graph):
    elsewhere = text("mid.x1", "hej", account=OTHER_ACCOUNT)
    odd_recipient = {**text("mid.x2", "hej"), "recipient": OPEN_PROFILE}
    tap_elsewhere = tapped({"payload": "HJÆLP"}, account=OTHER_ACCOUNT)
    assert post(client, event(entry(OPEN_PROFILE, elsewhere, odd_recipient, tap_elsewhere))).status_code == 200
    drain(runtime)
    assert (count(runtime, InboundMessage), count(runtime, Contact), len(outbox(runtime))) == (0, 0, 0)


def test_an_account_no_file_names_and_no_token_sends_for_is_not_ours(runtime_factory, instagram_flows_dir):
    runtime = runtime_factory(flows_dir=instagram_flows_dir, meta_page_access_token="")
    client = create_app(runtime).test_client()
    assert post(client, event(entry(OTHER_ACCOUNT, text("mid.u1", "hej", account=OTHER_ACCOUNT)))).status_code == 200
    assert post(client, event(entry(OPEN_PROFILE, text("mid.u2", "hej")))).status_code == 200
    with runtime.db.session() as session:
        assert list(session.scalars(select(InboundMessage.provider_id))) == ["mid.u2"]
