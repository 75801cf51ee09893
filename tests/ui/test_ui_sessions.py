"""Signing in and out of the agent workspace: throttling, sign-out, password changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from ui_support import NEW_PASSWORD, PASSWORD, Caller, World, csrf_from, sign_in, try_sign_in

from socialdesk.services.sessions import MAX_FAILURES_PER_EMAIL, THROTTLE_WINDOW
from socialdesk.store.models import LoginAttempt
from socialdesk.store.types import utcnow


def _client(world: World) -> TestClient:
    return TestClient(world.api, follow_redirects=False)


def _fail_until_throttled(client: TestClient, email: str) -> None:
    for _ in range(MAX_FAILURES_PER_EMAIL):
        assert try_sign_in(client, email, "wrong password!").status_code == 401


def test_sign_in_opens_the_inbox(world: World) -> None:
    client = _client(world)
    response = try_sign_in(client, world.emails["agent"], PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    assert client.get("/inbox").status_code == 200


def test_wrong_password_is_refused_with_401(world: World) -> None:
    response = try_sign_in(_client(world), world.emails["agent"], "wrong password!")
    assert response.status_code == 401
    assert "The email or the password is wrong." in response.text


def test_sixth_attempt_after_five_failures_is_throttled_even_with_the_right_password(
    world: World,
) -> None:
    client = _client(world)
    _fail_until_throttled(client, world.emails["agent"])
    response = try_sign_in(client, world.emails["agent"], PASSWORD)
    assert response.status_code == 429
    assert "too many failed sign-ins" in response.text
    assert "sd_session" not in client.cookies


def test_throttling_one_email_leaves_other_emails_alone(world: World) -> None:
    client = _client(world)
    _fail_until_throttled(client, world.emails["agent"])
    assert try_sign_in(client, world.emails["supervisor"], PASSWORD).status_code == 303


def test_sign_in_works_again_once_the_failures_are_older_than_the_window(world: World) -> None:
    client = _client(world)
    _fail_until_throttled(client, world.emails["agent"])
    with world.app.db.session() as session:  # let the window pass
        session.execute(
            update(LoginAttempt).values(at=utcnow() - THROTTLE_WINDOW - timedelta(seconds=1))
        )
    assert try_sign_in(client, world.emails["agent"], PASSWORD).status_code == 303


def test_signed_out_session_cookie_no_longer_opens_pages(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    secret = agent.client.cookies["sd_session"]
    response = agent.client.post("/logout", headers={"X-CSRF-Token": agent.csrf or ""})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    replay = _client(world)  # someone who kept a copy of the cookie
    replay.cookies.set("sd_session", secret)
    assert replay.get("/inbox").status_code == 303


def _change_password(caller: Caller) -> None:
    page = caller.client.get("/account/password")
    response = caller.client.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200, response.text
    assert "Your other sessions were signed out." in response.text


def test_password_change_signs_out_the_users_other_sessions(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    laptop, phone = signed_in("agent"), signed_in("agent")
    _change_password(laptop)
    response = phone.client.get("/inbox")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_password_change_keeps_the_session_that_made_it(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    laptop = signed_in("agent")
    _change_password(laptop)
    assert laptop.client.get("/inbox").status_code == 200


def test_password_change_leaves_other_users_signed_in(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent, supervisor = signed_in("agent"), signed_in("supervisor")
    _change_password(agent)
    assert supervisor.client.get("/inbox").status_code == 200


def test_after_a_password_change_only_the_new_password_signs_in(world: World) -> None:
    client = _client(world)
    sign_in(client, world.emails["agent"])
    _change_password(Caller(client))
    assert try_sign_in(_client(world), world.emails["agent"], PASSWORD).status_code == 401
    assert try_sign_in(_client(world), world.emails["agent"], NEW_PASSWORD).status_code == 303
