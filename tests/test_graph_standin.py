"""The Graph stand-in answers like Meta's Send API: it takes a correct request and refuses each wrong one."""
from __future__ import annotations

import time

import pytest
import requests

from conftest import META_ACCOUNT, META_APP_SECRET, META_OTHER_ACCOUNT, META_OTHER_TOKEN, META_TOKEN
from support.graph_standin import appsecret_proof

IGSID = "1234567890"
VERSION = "v21.0"


def post(standin, body, token=META_TOKEN, version=VERSION, proof=True, **kwargs) -> requests.Response:
    if proof:
        body = {**body, "appsecret_proof": appsecret_proof(META_APP_SECRET, token)}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{standin.url}/{version}/me/messages", json=body, headers=headers, timeout=5, **kwargs)


def text_message(text="Hej", messaging_type="RESPONSE", **extra) -> dict:
    return {"recipient": {"id": IGSID}, "messaging_type": messaging_type, "message": {"text": text}, **extra}


def error_of(response: requests.Response) -> dict:
    error = response.json()["error"]
    assert error["type"] == "OAuthException" and error["fbtrace_id"] and error["message"]
    return error


# Correct requests -------------------------------------------------------------------------------


def test_a_correct_message_is_taken_and_recorded(graph):
    response = post(graph, text_message("Hej Sara, vi ses kl. 17 🎶"))

    assert response.status_code == 200
    answer = response.json()
    assert answer["recipient_id"] == IGSID and answer["message_id"].startswith("m_")
    assert graph.messages == [
        {
            "message_id": answer["message_id"],
            "account": META_ACCOUNT,
            "recipient": IGSID,
            "text": "Hej Sara, vi ses kl. 17 🎶",
            "quick_replies": None,
            "messaging_type": "RESPONSE",
            "tag": None,
        }
    ]
    (request,) = graph.requests
    assert request["url"] == f"/{VERSION}/me/messages" and request["query"] == {}
    assert request["token"] == META_TOKEN and request["status"] == 200 and request["violations"] == []
    assert request["headers"]["Content-Type"] == "application/json"
    assert graph.sent_texts_to(IGSID) == ["Hej Sara, vi ses kl. 17 🎶"] and graph.sent_texts_to("999") == []


def test_the_token_says_which_account_sends(graph):
    assert post(graph, text_message(), token=META_OTHER_TOKEN).status_code == 200

    assert [message["account"] for message in graph.messages] == [META_OTHER_ACCOUNT]


def test_the_limits_themselves_are_allowed(graph):
    replies = [{"content_type": "text", "title": f"Valg nummer {n:02d} ....."[:20], "payload": "x" * 1000} for n in range(13)]
    body = text_message("æ" * 500, "MESSAGE_TAG", tag="HUMAN_AGENT")  # 1000 bytes of UTF-8
    body["message"]["quick_replies"] = replies

    assert post(graph, body).status_code == 200

    (message,) = graph.messages
    assert message["quick_replies"] == replies and message["messaging_type"] == "MESSAGE_TAG" and message["tag"] == "HUMAN_AGENT"


# Wrong requests ---------------------------------------------------------------------------------


def quick_replies(count=2, title="Ja", **reply) -> dict:
    return {"text": "Kommer du?", "quick_replies": [{"content_type": "text", "title": title, "payload": title, **reply}] * count}


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"message": quick_replies(count=14)}, "14 quick replies"),
        ({"message": quick_replies(title="Det ved jeg ikke helt")}, "must be 1 to 20 characters"),
        ({"message": quick_replies(title="")}, "must be 1 to 20 characters"),
        ({"message": quick_replies(content_type="user_email")}, "only 'text'"),
        ({"message": {"text": "Hej", "quick_replies": [{"content_type": "text", "title": "Ja"}]}}, "payload"),
        ({"message": {"text": "Hej", "quick_replies": []}}, "1 to 13"),
        ({"tag": "HUMAN_AGENT"}, "without messaging_type MESSAGE_TAG"),
        ({"messaging_type": "MESSAGE_TAG"}, "MESSAGE_TAG needs a tag"),
        ({"messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE"}, "MESSAGE_TAG needs a tag"),
        ({"messaging_type": "NON_PROMOTIONAL_SUBSCRIPTION"}, "is not one of"),
        ({"messaging_type": None}, "is not one of"),
        ({"recipient": {"id": "sara"}}, "not an IGSID"),
        ({"recipient": {"id": 1234567890}}, "not an IGSID"),
        ({"recipient": {"phone_number": "+4520112233"}}, "recipient must be"),
        ({"message": {"text": ""}}, "missing or empty"),
        ({"message": {"text": "æ" * 501}}, "1002 bytes"),
        ({"message": {"text": "Hej", "attachment": {"type": "image"}}}, "unknown field message.'attachment'"),
        ({"notification_type": "REGULAR"}, "unknown field 'notification_type'"),
    ],
)
def test_a_message_meta_would_refuse_is_refused_with_code_100(graph, change, complaint):
    body = {**text_message(), **change}

    response = post(graph, body)

    assert response.status_code == 400 and error_of(response)["code"] == 100
    violations = graph.take_violations()
    assert violations and complaint in violations[0], violations
    assert graph.messages == [] and graph.requests[0]["violations"] == violations


def test_a_token_in_the_url_is_refused(graph):
    response = post(graph, text_message(), params={"access_token": META_TOKEN})

    assert response.status_code == 400 and error_of(response)["code"] == 100
    assert "access_token in the URL" in graph.take_violations()[0]
    assert graph.messages == [] and META_TOKEN in graph.requests[0]["url"]


def test_a_token_in_the_body_is_refused(graph):
    response = post(graph, text_message(access_token=META_TOKEN))

    assert response.status_code == 400 and error_of(response)["code"] == 100
    assert "access_token in the body" in graph.take_violations()[0]


@pytest.mark.parametrize(
    "proof, complaint",
    [
        (appsecret_proof("another-app-secret", META_TOKEN), "Invalid appsecret_proof"),
        (appsecret_proof(META_APP_SECRET, META_OTHER_TOKEN), "Invalid appsecret_proof"),
        (None, "require an appsecret_proof"),
    ],
)
def test_a_wrong_or_missing_appsecret_proof_is_refused(graph, proof, complaint):
    body = text_message() if proof is None else text_message(appsecret_proof=proof)

    response = post(graph, body, proof=False)

    assert response.status_code == 400 and error_of(response)["code"] == 100
    assert complaint in graph.take_violations()[0] and graph.messages == []


def test_a_form_encoded_body_is_refused(graph):
    response = requests.post(
        f"{graph.url}/{VERSION}/me/messages",
        data={"recipient": '{"id":"1234567890"}', "message": '{"text":"Hej"}'},
        headers={"Authorization": f"Bearer {META_TOKEN}"},
        timeout=5,
    )

    assert response.status_code == 400 and error_of(response)["code"] == 100
    assert "application/json" in graph.take_violations()[0]


def test_a_request_without_a_token_is_refused(graph):
    response = post(graph, text_message(), token="", proof=False)

    assert response.status_code == 400 and error_of(response)["code"] == 2500
    assert "access token must be used" in graph.take_violations()[0]


@pytest.mark.parametrize("version, method", [("v21", "POST"), ("21.0", "POST"), ("latest", "POST"), (VERSION, "GET")])
def test_a_wrong_version_or_method_is_refused(graph, version, method):
    response = requests.request(method, f"{graph.url}/{version}/me/messages", headers={"Authorization": f"Bearer {META_TOKEN}"}, timeout=5)

    assert response.status_code == 400 and error_of(response)["code"] in (100, 2500)
    assert len(graph.take_violations()) == 1


def test_an_unknown_token_gets_190_like_any_correct_request_would(graph):
    response = post(graph, text_message(), token="EAAnotOurs")

    assert response.status_code == 400 and error_of(response)["code"] == 190
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    assert graph.violations == [] and graph.messages == []


def test_an_expired_token_gets_190_until_reset(graph):
    graph.expire_token(META_TOKEN)

    response = post(graph, text_message())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == 190 and error["error_subcode"] == 463 and "expired" in error["message"]
    assert post(graph, text_message(), token=META_OTHER_TOKEN).status_code == 200

    graph.reset()
    assert post(graph, text_message()).status_code == 200


# Failure injection ------------------------------------------------------------------------------


def test_fail_next_answers_with_metas_error_then_sends_again(graph):
    graph.fail_next(10, subcode=2018278, times=2)

    for _ in range(2):
        response = post(graph, text_message())
        assert response.status_code == 400
        error = error_of(response)
        assert (error["code"], error["error_subcode"]) == (10, 2018278) and "outside of allowed window" in error["message"]
    assert graph.messages == []
    assert post(graph, text_message()).status_code == 200


def test_fail_next_after_lets_some_through_first(graph):
    graph.fail_next(613, after=1)

    assert post(graph, text_message("1")).status_code == 200
    response = post(graph, text_message("2"))
    assert response.status_code == 400 and error_of(response)["code"] == 613
    assert post(graph, text_message("3")).status_code == 200
    assert graph.sent_texts_to(IGSID) == ["1", "3"]


def test_fail_next_without_a_code_answers_like_a_proxy(graph):
    graph.fail_next(None, http_status=502)

    response = post(graph, text_message())

    assert response.status_code == 502 and response.text == "Bad Gateway"


def test_failures_wait_for_a_correct_request(graph):
    graph.fail_next(4)

    assert post(graph, text_message(messaging_type="SOON")).status_code == 400
    assert graph.take_violations()
    assert error_of(post(graph, text_message()))["code"] == 4


def test_delay_next_answers_late(graph):
    graph.delay_next(0.3)

    started = time.monotonic()
    assert post(graph, text_message()).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_next_takes_the_message_but_never_answers(graph):
    graph.drop_next()

    with pytest.raises(requests.exceptions.ConnectionError):
        post(graph, text_message("Kun én gang"))

    assert graph.sent_texts_to(IGSID) == ["Kun én gang"]
    assert graph.requests[0]["status"] is None
    assert post(graph, text_message()).status_code == 200
