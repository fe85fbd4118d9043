"""Sending Instagram messages through Meta's Send API (a stand-in that checks every request as Meta would)."""
from __future__ import annotations

import socket
import time

import pytest

from bot.channels import AmbiguousSendError, PermanentSendError, ReconnectNeeded, TransientSendError, sender_for
from bot.channels.instagram import InstagramSender
from bot.config import load_settings
from bot.jobs.sending import Claimed

from conftest import META_ACCOUNT, META_APP_SECRET, META_OTHER_ACCOUNT, META_OTHER_TOKEN, META_TOKEN
from support.graph_standin import appsecret_proof

IGSID = "1234567890"
TEXT_LIMIT = 1000


def settings_for(graph, **overrides):
    values = dict(meta_app_secret=META_APP_SECRET, meta_page_access_token=META_TOKEN, meta_graph_url=graph.url)
    values.update(overrides)
    return load_settings(**values)


def claimed(body="Hej", kind="reply", choices=None, messaging=None, to=f"{META_ACCOUNT}:{IGSID}") -> Claimed:
    return Claimed(id=1, channel="instagram", to_address=to, body=body, kind=kind, contact_id=1, attempts=1, choices=choices, messaging=messaging)


@pytest.fixture
def sender(graph) -> InstagramSender:
    return sender_for("instagram", settings_for(graph))


def test_a_text_goes_to_the_young_person_from_our_account(graph, sender):
    result = sender.send(claimed("Hej Sara, vi ses i aften kl. 17 🎶"))

    (message,) = graph.messages
    assert result.provider_id == message["message_id"] and result.status == "sent"
    assert message == {
        "message_id": message["message_id"],
        "account": META_ACCOUNT,
        "recipient": IGSID,
        "text": "Hej Sara, vi ses i aften kl. 17 🎶",
        "quick_replies": None,
        "messaging_type": "RESPONSE",
        "tag": None,
    }
    (request,) = graph.requests
    assert request["json"]["appsecret_proof"] == appsecret_proof(META_APP_SECRET, META_TOKEN)
    assert request["token"] == META_TOKEN and request["url"] == "/v21.0/me/messages"


def test_choices_become_quick_replies_with_the_whole_label_as_payload(graph, sender):
    sender.send(claimed("Kommer du i klubben i aften?", choices=["Ja", "Nej", "Det ved jeg ikke helt endnu"]))

    (message,) = graph.messages
    assert message["text"] == "Kommer du i klubben i aften?"
    assert message["quick_replies"] == [
        {"content_type": "text", "title": "Ja", "payload": "Ja"},
        {"content_type": "text", "title": "Nej", "payload": "Nej"},
        {"content_type": "text", "title": "Det ved jeg ikke he…", "payload": "Det ved jeg ikke helt endnu"},
    ]
    assert len(message["quick_replies"][2]["title"]) == 20


def test_more_choices_than_instagram_shows_are_cut_to_thirteen(graph, sender):
    labels = [f"Mulighed {number}" for number in range(1, 16)]

    sender.send(claimed("Vælg én", choices=labels))

    (message,) = graph.messages
    assert [reply["payload"] for reply in message["quick_replies"]] == labels[:13]


@pytest.mark.parametrize(
    "kind, messaging, messaging_type, tag",
    [
        ("reply", None, "RESPONSE", None),
        ("automatic", None, "UPDATE", None),
        ("system", None, "UPDATE", None),
        ("staff", None, "UPDATE", None),
        ("reply", "UPDATE", "UPDATE", None),
        ("automatic", "RESPONSE", "RESPONSE", None),
        ("staff", "HUMAN_AGENT", "MESSAGE_TAG", "HUMAN_AGENT"),
    ],
)
def test_the_messaging_type_follows_metas_window(graph, sender, kind, messaging, messaging_type, tag):
    sender.send(claimed(kind=kind, messaging=messaging))

    (message,) = graph.messages
    assert (message["messaging_type"], message["tag"]) == (messaging_type, tag)


def test_an_unknown_messaging_is_refused_before_sending(graph, sender):
    with pytest.raises(PermanentSendError) as raised:
        sender.send(claimed(messaging="CONFIRMED_EVENT_UPDATE"))

    assert raised.value.code == "bad_messaging" and graph.requests == []


def test_a_long_text_goes_in_parts_in_order_with_the_quick_replies_last(graph, sender):
    sentence = "Husk at du altid kan skrive til os, også når det er svært at sige højt."
    paragraphs = [f"{number}. " + " ".join([sentence] * 8) for number in range(1, 4)]
    body = "\n\n".join(paragraphs)
    assert len(body.encode()) > TEXT_LIMIT

    result = sender.send(claimed(body, choices=["Ja tak", "Nej tak"]))

    assert graph.sent_texts_to(IGSID) == paragraphs, "cut between paragraphs, in order"
    assert [message["quick_replies"] is not None for message in graph.messages] == [False, False, True]
    assert result.provider_id == graph.messages[-1]["message_id"]


def test_a_long_paragraph_is_cut_after_a_sentence(graph, sender):
    sentences = [f"Sætning nummer {number} handler om at have det svært, og om hvem du kan tale med." for number in range(1, 41)]
    body = " ".join(sentences)

    sender.send(claimed(body))

    texts = graph.sent_texts_to(IGSID)
    assert len(texts) == 4 and all(len(text.encode()) <= TEXT_LIMIT for text in texts)
    assert all(text.endswith("med.") for text in texts)
    assert " ".join(texts) == body, "every word, in order, none lost at a cut"


def test_a_text_without_sentences_is_cut_at_a_space(graph, sender):
    body = " ".join(["hej"] * 600)

    sender.send(claimed(body))

    texts = graph.sent_texts_to(IGSID)
    assert [len(text) for text in texts] == [999, 999, 399] and " ".join(texts) == body


def test_a_long_word_without_spaces_is_cut_where_it_must(graph, sender):
    link = "https://www.kommune.dk/" + "ø" * 1500  # 23 bytes, then two bytes a letter: never cut inside one

    sender.send(claimed(link))

    texts = graph.sent_texts_to(IGSID)
    assert "".join(texts) == link and [len(text.encode()) for text in texts] == [999, 1000, 1000, 24]


def test_a_part_failing_after_others_went_out_is_not_sent_again(graph, sender):
    graph.fail_next(613, after=1)

    with pytest.raises(AmbiguousSendError) as raised:
        sender.send(claimed("Første del. " * 150))

    assert raised.value.code == "partly_sent" and "1 of 2 parts sent, then 613" in raised.value.detail
    assert len(graph.messages) == 1


def test_each_account_sends_with_its_own_token(graph):
    settings = settings_for(graph, meta_page_access_tokens=f"{META_OTHER_ACCOUNT}={META_OTHER_TOKEN}")
    sender = sender_for("instagram", settings)

    sender.send(claimed("Fra den anden konto", to=f"{META_OTHER_ACCOUNT}:{IGSID}"))
    sender.send(claimed("Fra den første konto", to=f"{META_ACCOUNT}:{IGSID}"))

    assert [(m["account"], m["text"]) for m in graph.messages] == [
        (META_OTHER_ACCOUNT, "Fra den anden konto"),
        (META_ACCOUNT, "Fra den første konto"),
    ]
    assert [r["token"] for r in graph.requests] == [META_OTHER_TOKEN, META_TOKEN]


def test_an_account_without_a_token_is_not_configured(graph):
    settings = settings_for(graph, meta_page_access_token="", meta_page_access_tokens=f"{META_OTHER_ACCOUNT}={META_OTHER_TOKEN}")

    with pytest.raises(PermanentSendError) as raised:
        sender_for("instagram", settings).send(claimed(to=f"{META_ACCOUNT}:{IGSID}"))

    assert raised.value.code == "not_configured" and META_ACCOUNT in raised.value.detail and graph.requests == []


@pytest.mark.parametrize("address", ["1234567890", f"{META_ACCOUNT}:sara", f":{IGSID}", None])
def test_an_address_that_is_not_account_and_igsid_is_refused(graph, sender, address):
    with pytest.raises(PermanentSendError) as raised:
        sender.send(claimed(to=address))

    assert raised.value.code == "bad_address" and graph.requests == []


def test_without_an_app_secret_instagram_is_not_configured(graph):
    with pytest.raises(PermanentSendError) as raised:
        sender_for("instagram", settings_for(graph, meta_app_secret=""))

    assert raised.value.code == "not_configured"


def test_sender_for_gives_one_keep_alive_session_and_one_rate_key(graph):
    first, second = sender_for("instagram", settings_for(graph)), sender_for("instagram", settings_for(graph))

    assert isinstance(first, InstagramSender) and first.session is second.session
    assert first.rate_key == "instagram"


# Errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, http_status, subcode, error, name",
    [
        (4, 400, None, TransientSendError, "4"),
        (17, 400, None, TransientSendError, "17"),
        (32, 400, None, TransientSendError, "32"),
        (613, 400, None, TransientSendError, "613"),
        (4, 429, None, TransientSendError, "4"),
        (None, 429, None, TransientSendError, "429"),
        (1, 500, None, TransientSendError, "1"),
        (2, 503, None, TransientSendError, "2"),
        (1, 400, 99, TransientSendError, "1"),
        (None, 502, None, TransientSendError, "502"),
        (10, 400, 2018278, PermanentSendError, "outside_window"),
        (551, 400, None, PermanentSendError, "551"),
        (10, 403, None, PermanentSendError, "10"),
        (100, 400, 2018001, PermanentSendError, "100"),
        (200, 403, None, PermanentSendError, "200"),
    ],
)
def test_metas_errors_are_retried_or_not(graph, sender, code, http_status, subcode, error, name):
    graph.fail_next(code, http_status=http_status, subcode=subcode)

    with pytest.raises(error) as raised:
        sender.send(claimed())

    assert type(raised.value) is error and raised.value.code == name
    assert f"HTTP {http_status}" in raised.value.detail
    assert graph.messages == []


def test_a_lapsed_token_asks_staff_to_reconnect_the_account(graph, sender):
    graph.expire_token(META_TOKEN)

    with pytest.raises(ReconnectNeeded) as raised:
        sender.send(claimed())

    assert raised.value.code == "190" and raised.value.account == META_ACCOUNT
    assert isinstance(raised.value, PermanentSendError) and "fbtrace_id" in raised.value.detail


def test_a_token_meta_does_not_know_asks_for_a_reconnect_too(graph):
    settings = settings_for(graph, meta_page_access_tokens=f"{META_OTHER_ACCOUNT}=EAAnotOurs")

    with pytest.raises(ReconnectNeeded) as raised:
        sender_for("instagram", settings).send(claimed(to=f"{META_OTHER_ACCOUNT}:{IGSID}"))

    assert raised.value.account == META_OTHER_ACCOUNT


def test_the_token_is_never_in_a_url_nor_in_an_error(graph, sender):
    proof = appsecret_proof(META_APP_SECRET, META_TOKEN)
    sender.send(claimed("Hej " * 400, choices=["Ja"]))
    graph.fail_next(100, message=f"(#100) Param access_token {META_TOKEN} with proof {proof} is odd")
    with pytest.raises(PermanentSendError) as refused:
        sender.send(claimed())
    graph.expire_token(META_TOKEN)
    with pytest.raises(ReconnectNeeded) as expired:
        sender.send(claimed())

    assert len(graph.requests) == 4
    for request in graph.requests:
        assert META_TOKEN not in request["url"] and request["query"] == {}
        assert "access_token" not in request["json"]
    for raised in (refused, expired):
        for text in (str(raised.value), raised.value.detail, repr(raised.value)):
            assert META_TOKEN not in text and proof not in text
    assert "[redacted]" in refused.value.detail


# The connection ---------------------------------------------------------------------------------


def test_no_answer_in_time_is_ambiguous_and_meta_may_have_it(graph):
    sender = InstagramSender(settings_for(graph), timeout=0.2)
    graph.delay_next(0.6)

    with pytest.raises(AmbiguousSendError) as raised:
        sender.send(claimed("Kun én gang"))

    assert raised.value.code == "read_timeout"
    deadline = time.monotonic() + 3
    while not graph.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert graph.sent_texts_to(IGSID) == ["Kun én gang"]


def test_a_connection_dropped_mid_request_is_ambiguous(graph, sender):
    graph.drop_next()

    with pytest.raises(AmbiguousSendError) as raised:
        sender.send(claimed("Kun én gang"))

    assert raised.value.code == "connection_lost" and graph.sent_texts_to(IGSID) == ["Kun én gang"]


def test_a_refused_connection_is_retried(graph):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = sender_for("instagram", settings_for(graph, meta_graph_url=f"http://127.0.0.1:{closed_port}"))

    with pytest.raises(TransientSendError) as raised:
        sender.send(claimed())

    assert raised.value.code == "connection_refused"
