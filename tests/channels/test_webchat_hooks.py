"""The web chat widget's public hook: origins, visitor tokens, size and rate limits, CORS,
messages stored before they are acknowledged and deduplicated on the widget's message id."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from webchat_support import ORIGIN, OTHER_ORIGIN, WebchatDesk, make_site

from socialdesk.bootstrap import App
from socialdesk.channels.webchat import issue_token
from socialdesk.store.models import RawEvent, WebchatMessage

PROBLEM = "application/problem+json"


@pytest.fixture
def site(app: App, web: TestClient) -> WebchatDesk:
    return make_site(app, web)


def _raw_events(app: App) -> int:
    with app.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)


def test_a_visitor_message_is_stored_then_becomes_a_private_message_of_the_visitor(
    site: WebchatDesk,
) -> None:
    site.set_online(True)
    session = site.start_session()
    assert session["online"] is True
    assert session["visitor_id"].startswith("v-")
    assert session["visitor_id"] not in session["token"]  # opaque

    response = site.say(session["token"], "Hello, is my order shipped?", name="Dana Kim")
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["duplicate"] is False
    assert accepted["offline"] is False
    assert accepted["message"]["direction"] == "in"
    with site.app.db.read_session() as db:
        raw = db.get(RawEvent, accepted["raw_event_id"])
        assert raw is not None and raw.status == "received"  # stored before the answer
        assert json.loads(raw.payload)["visitor"]["id"] == session["visitor_id"]
    site.process()

    [listed] = site.conversations()
    detail = site.api("GET", f"/conversations/{listed['id']}").json()
    [message] = detail["messages"]
    assert (message["direction"], message["visibility"]) == ("in", "private")
    assert message["text"] == "Hello, is my order shipped?"
    assert detail["contact"]["name"] == "Dana Kim"
    [identity] = detail["contact"]["identities"]
    assert (identity["platform"], identity["external_id"]) == ("webchat", session["visitor_id"])


def test_a_resent_message_id_is_stored_once(site: WebchatDesk) -> None:
    token = site.start_session()["token"]
    first = site.say(token, "Are you there?", message_id="m-1")
    again = site.say(token, "Are you there?", message_id="m-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["duplicate"] is True
    assert again.json()["raw_event_id"] == first.json()["raw_event_id"]
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    site.process()
    [conversation] = site.conversations()
    detail = site.api("GET", f"/conversations/{conversation['id']}").json()
    assert [m["text"] for m in detail["messages"]] == ["Are you there?"]
    assert len(site.transcript(token)["items"]) == 1


@pytest.mark.parametrize("origin", [OTHER_ORIGIN, None, "https://www.acme.example.evil.test"])
def test_a_page_of_another_origin_is_refused(site: WebchatDesk, origin: str | None) -> None:
    token = issue_token(site.app.cipher, site.account_id, "v-0123456789abcdef01234567")
    response = site.say(token, "hi", origin=origin)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert "origin" in response.json()["detail"].lower()
    headers = {"Origin": origin} if origin else {}
    sessions = site.client.post(site.hook("/sessions"), json={}, headers=headers)
    assert sessions.status_code == 403
    assert _raw_events(site.app) == 0


def test_allowed_origins_are_compared_without_case_or_trailing_slash(
    app: App, web: TestClient
) -> None:
    site = make_site(
        app, web, allowed_origins="https://shop.acme.example/, HTTPS://WWW.ACME.EXAMPLE"
    )
    assert site.start_session(origin="https://www.acme.example")["token"]
    assert site.start_session(origin="https://shop.acme.example")["token"]


def test_missing_or_bad_visitor_tokens_are_401(site: WebchatDesk, app: App) -> None:
    other_site_token = issue_token(app.cipher, site.account_id + 1, "v-0123456789abcdef01234567")
    tampered = site.start_session()["token"][:-4] + "AAAA"
    for token in (None, "not-a-token", tampered, other_site_token):
        response = site.say(token, "hi")
        assert response.status_code == 401, token
        assert response.headers["content-type"] == PROBLEM
        listing = site.client.get(
            site.hook("/messages"), headers={"Authorization": f"Bearer {token}"}
        )
        assert listing.status_code == 401
    assert _raw_events(app) == 0


def test_unknown_site_is_404(site: WebchatDesk) -> None:
    response = site.client.post(
        f"/hooks/webchat/{site.account_id + 99}/sessions", json={}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_oversized_bodies_and_texts_are_refused(site: WebchatDesk, app: App) -> None:
    token = site.start_session()["token"]
    too_long = site.say(token, "x" * 4001)
    assert too_long.status_code == 422
    assert too_long.headers["content-type"] == PROBLEM
    assert "text" in too_long.json()["detail"]
    huge = site.say(token, "x" * 3000, page="p" * 30_000)
    assert huge.status_code == 413
    assert huge.headers["content-type"] == PROBLEM
    # Past the server-wide limit the body is refused before it is read, CORS headers included.
    enormous = site.say(token, "x" * 2_000_000)
    assert enormous.status_code == 413
    assert enormous.headers["access-control-allow-origin"] == ORIGIN
    for bad in ({"text": "no id"}, {"id": "has spaces", "text": "x"}, {"id": "a", "text": ""}):
        response = site.client.post(
            site.hook("/messages"),
            json=bad,
            headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 422, bad
    not_json = site.client.post(
        site.hook("/messages"),
        content=b"{not json",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"},
    )
    assert not_json.status_code == 422
    assert _raw_events(app) == 0


def test_a_visitor_sending_too_fast_gets_429_with_retry_after(app: App, web: TestClient) -> None:
    site = make_site(app, web, rate_limit_per_minute="3")
    token = site.start_session()["token"]
    for n in range(3):
        assert site.say(token, f"message {n}").status_code == 202
    refused = site.say(token, "one more")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["access-control-allow-origin"] == ORIGIN  # the widget can read it
    # Another visitor of the same site is not slowed down by the first one.
    assert site.say(site.start_session()["token"], "hello").status_code == 202
    with app.db.read_session() as session:
        stored = session.scalar(select(func.count()).select_from(WebchatMessage))
    assert stored == 4


def test_cors_preflight_and_answers_carry_the_origin(site: WebchatDesk) -> None:
    preflight = site.client.options(
        site.hook("/messages"),
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = site.client.get(site.hook("/status"), headers={"Origin": ORIGIN})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    # Other paths get no CORS headers.
    other = site.client.get("/healthz", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in other.headers


def test_the_widget_script_carries_the_site_settings(app: App, web: TestClient) -> None:
    site = make_site(
        app,
        web,
        title="Talk to </script> Acme",
        colour="red; background: url(x)",
        followup_email="care@acme.example",
    )
    response = site.client.get(f"/widget/{site.account_id}.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    script = response.text
    assert "</script>" not in script
    assert '"title": "Talk to \\u003c/script> Acme"' in script
    assert '"colour": "#1d4ed8"' in script  # an unsafe colour falls back to the default
    assert '"followupEmail": "care@acme.example"' in script
    assert f'"site": {site.account_id}' in script
    assert '"base": "http://testserver"' in script
    assert site.client.get(f"/widget/{site.account_id + 99}.js").status_code == 404
    node = shutil.which("node")
    if node:  # the served script parses as JavaScript
        checked = subprocess.run(
            [node, "--check", "-"], input=script, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


def test_the_widget_script_is_not_served_for_other_platforms(app: App, web: TestClient) -> None:
    site = make_site(app, web)
    from socialdesk.services.sandbox import create_sandbox_account

    with app.db.session() as session:
        sandbox = create_sandbox_account(
            session, site.workspace_id, name="Sandbox", handle=f"s{uuid.uuid4().hex[:6]}"
        )
    assert site.client.get(f"/widget/{sandbox.id}.js").status_code == 404
