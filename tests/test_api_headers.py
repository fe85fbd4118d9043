"""Headers every answer keeps: an error's own (Allow on a 405), and nosniff on all of /api."""
from __future__ import annotations

import pytest

from bot.api.auth import create_token
from bot.core import clock
from bot.web import create_app


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


@pytest.fixture
def staff(runtime) -> dict[str, str]:
    with runtime.db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, name='kirsten', role='staff', now=clock.now())}"}


def test_a_method_the_route_does_not_take_is_a_405_that_says_which_it_does(client, staff):
    response = client.delete("/api/communities", headers=staff)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.is_json and response.json["error"] == "Method Not Allowed"


def test_every_api_answer_says_nosniff(client, staff):
    answers = {
        200: client.get("/api/communities", headers=staff),
        401: client.get("/api/communities"),
        404: client.get("/api/nowhere", headers=staff),
        405: client.delete("/api/communities", headers=staff),
        422: client.post("/api/communities/nowhere/members", json={"phone": 5}, headers=staff),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.headers["X-Content-Type-Options"] == "nosniff", status
