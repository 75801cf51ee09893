"""Every state change in the agent workspace needs the session's CSRF token.

The token travels in the ``X-CSRF-Token`` header (htmx requests) or the ``csrf_token`` form
field (plain forms). Without it, or with a wrong one, the answer is 403 and nothing is
written; with it, the same request goes through (so the refusals are not a broken route).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from ui_support import (
    PASSWORD,
    ROUTES,
    STATE_CHANGING,
    Caller,
    World,
    changed_tables,
    csrf_from,
    route_id,
    snapshot,
)

from socialdesk.store.models import UserSession

# (where the token goes, what token): a forged request knows neither the victim's token nor
# how to read it, so it may send none, a made-up one, or the token of its own session.
REFUSED = {
    "no-token": ("header", None),
    "made-up-header-token": ("header", "not-the-token"),
    "made-up-form-token": ("form", "not-the-token"),
    "other-session-header-token": ("header", "other"),
    "other-session-form-token": ("form", "other"),
}


def _world_state(world: World) -> tuple[dict[str, list[str]], list[object]]:
    """The database and the in-memory presence of the conversation the actions target."""
    return snapshot(world.app), world.api.state.presence.present(world.conversation_id)


@pytest.mark.parametrize("variant", sorted(REFUSED))
@pytest.mark.parametrize("key", STATE_CHANGING, ids=route_id)
def test_state_change_without_the_session_token_is_refused_and_writes_nothing(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str], variant: str
) -> None:
    where, token = REFUSED[variant]
    admin = shared_sessions["admin"]  # admins may use every route: only the token is wrong
    if token == "other":
        token = shared_sessions["agent"].csrf  # another user's own, valid session
    db_before, presence_before = _world_state(shared_world)
    response = admin.call(shared_world, key, csrf=token, csrf_in=where)
    assert response.status_code == 403, response.text
    assert "Security check failed" in response.text
    db_after, presence_after = _world_state(shared_world)
    assert changed_tables(db_before, db_after) == []
    assert presence_after == presence_before


@pytest.mark.parametrize("where", ["header", "form"])
@pytest.mark.parametrize("key", STATE_CHANGING, ids=route_id)
def test_state_change_with_the_session_token_is_accepted(
    world: World, signed_in: Callable[..., Caller], key: tuple[str, str], where: str
) -> None:
    spec = ROUTES[key]
    admin = signed_in("admin")
    db_before, presence_before = _world_state(world)
    response = admin.call(world, key, csrf="session", csrf_in=where)
    assert response.status_code == spec.ok_status, response.text
    db_after, presence_after = _world_state(world)
    if spec.writes_db:
        assert changed_tables(db_before, db_after), "an accepted action wrote nothing"
    else:
        assert presence_after != presence_before


def _sessions(world: World) -> int:
    with world.app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(UserSession)) or 0


def test_sign_in_without_the_form_cookie_is_refused_and_opens_no_session(world: World) -> None:
    """A cross-site form can post an email and password but cannot set our login cookie."""
    page = TestClient(world.api, follow_redirects=False).get("/login")
    forger = TestClient(world.api, follow_redirects=False)  # never loaded the form
    response = forger.post(
        "/login",
        data={
            "email": world.emails["agent"],
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 403
    assert "sd_session" not in response.cookies
    assert _sessions(world) == 0


def test_sign_in_with_a_token_not_matching_the_form_cookie_is_refused(world: World) -> None:
    client = TestClient(world.api, follow_redirects=False)
    client.get("/login")  # sets the cookie
    response = client.post(
        "/login",
        data={"email": world.emails["agent"], "password": PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert _sessions(world) == 0
