"""Who may open which page and take which action in the agent workspace.

Every UI route (read from the app) for signed-out visitors, agents, supervisors and admins, on
SQLite and PostgreSQL, through TestClient with a real sign-in via the /login form. Refusals and
reads share one world per module (they must change nothing, and each checks that); an action
that is allowed gets a world of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from ui_support import (
    CONVERSATION_ROUTES,
    PROTECTED,
    ROLES,
    ROUTES,
    Access,
    Caller,
    World,
    changed_tables,
    route_id,
    snapshot,
    ui_routes,
)

ADMIN_ONLY = sorted(k for k in PROTECTED if ROUTES[k].access is Access.ADMIN)
SUPERVISOR_UP = sorted(k for k in PROTECTED if ROUTES[k].access is Access.SUPERVISOR)
PUBLIC_PAGES = sorted(
    k for k, spec in ROUTES.items() if spec.access is Access.PUBLIC and k[0] == "GET"
)
ALLOWED = sorted(
    (key, role)
    for key in PROTECTED
    for role in ROLES
    if ROUTES[key].access is Access.SIGNED_IN
    or role == "admin"
    or (ROUTES[key].access is Access.SUPERVISOR and role == "supervisor")
)
ALLOWED_READS = [(key, role) for key, role in ALLOWED if key[0] == "GET"]
ALLOWED_ACTIONS = [(key, role) for key, role in ALLOWED if key[0] != "GET"]
REFUSED = sorted(
    [(key, role) for key in ADMIN_ONLY for role in ROLES if role != "admin"]
    + [(key, "agent") for key in SUPERVISOR_UP]
)
CONVERSATION_READS = [k for k in CONVERSATION_ROUTES if k[0] == "GET"]
CONVERSATION_ACTIONS = [k for k in CONVERSATION_ROUTES if k[0] != "GET"]


def _ids(pairs: list[tuple[tuple[str, str], str]]) -> list[str]:
    return [f"{role}-{route_id(key)}" for key, role in pairs]


def _assert_ok(response: httpx.Response, key: tuple[str, str]) -> None:
    spec = ROUTES[key]
    assert response.status_code == spec.ok_status, response.text
    if spec.ok_location:
        assert response.headers["location"] == spec.ok_location
    if spec.stream:
        assert response.text == "event: hello"


def test_every_ui_route_has_a_permission_entry(shared_world: World) -> None:
    served = ui_routes(shared_world.api)
    missing = sorted(served - ROUTES.keys())
    stale = sorted(ROUTES.keys() - served)
    assert not missing, f"UI routes without an entry in ui_support.ROUTES: {missing}"
    assert not stale, f"ui_support.ROUTES names routes the app no longer has: {stale}"


@pytest.mark.parametrize("key", PROTECTED, ids=route_id)
def test_signed_out_page_request_redirects_to_sign_in(
    shared_world: World, anonymous: Caller, key: tuple[str, str]
) -> None:
    before = snapshot(shared_world.app)
    response = anonymous.call(shared_world, key)
    assert response.status_code == 303, response.text
    path = shared_world.path(key[1])
    assert response.headers["location"] == f"/login?next={quote(path)}"
    assert changed_tables(before, snapshot(shared_world.app)) == []


@pytest.mark.parametrize("key", PROTECTED, ids=route_id)
def test_signed_out_htmx_request_gets_401_with_hx_redirect(
    shared_world: World, anonymous: Caller, key: tuple[str, str]
) -> None:
    before = snapshot(shared_world.app)
    response = anonymous.call(shared_world, key, htmx=True)
    assert response.status_code == 401, response.text
    path = shared_world.path(key[1])
    assert response.headers["hx-redirect"] == f"/login?next={quote(path)}"
    assert changed_tables(before, snapshot(shared_world.app)) == []


@pytest.mark.parametrize("key", PUBLIC_PAGES, ids=route_id)
def test_public_page_answers_signed_out_visitors(
    shared_world: World, anonymous: Caller, key: tuple[str, str]
) -> None:
    _assert_ok(anonymous.call(shared_world, key), key)


@pytest.mark.parametrize(("key", "role"), ALLOWED_READS, ids=_ids(ALLOWED_READS))
def test_role_may_open_page(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str], role: str
) -> None:
    _assert_ok(shared_sessions[role].call(shared_world, key), key)


@pytest.mark.parametrize(("key", "role"), ALLOWED_ACTIONS, ids=_ids(ALLOWED_ACTIONS))
def test_role_may_take_action(
    world: World, signed_in: Callable[..., Caller], key: tuple[str, str], role: str
) -> None:
    _assert_ok(signed_in(role).call(world, key), key)


@pytest.mark.parametrize(("key", "role"), REFUSED, ids=_ids(REFUSED))
def test_non_admin_gets_403_on_admin_route_and_nothing_is_written(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str], role: str
) -> None:
    before = snapshot(shared_world.app)
    response = shared_sessions[role].call(shared_world, key)
    assert response.status_code == 403, response.text
    needed = "supervisor" if ROUTES[key].access is Access.SUPERVISOR else "admin"
    assert f"for the {needed} role" in response.text
    assert changed_tables(before, snapshot(shared_world.app)) == []


@pytest.mark.parametrize("key", ADMIN_ONLY + SUPERVISOR_UP, ids=route_id)
def test_non_admin_htmx_request_on_admin_route_gets_403(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str]
) -> None:
    response = shared_sessions["agent"].call(shared_world, key, htmx=True)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("key", CONVERSATION_ROUTES, ids=route_id)
def test_agent_gets_404_for_a_conversation_of_another_workspace(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str]
) -> None:
    """An acme agent names globex's conversation id: for them it does not exist."""
    presence = shared_world.api.state.presence
    before = snapshot(shared_world.app), presence.present(shared_world.other_conversation_id)
    response = shared_sessions["agent"].call(
        shared_world, key, conversation_id=shared_world.other_conversation_id
    )
    assert response.status_code == 404, response.text
    assert changed_tables(before[0], snapshot(shared_world.app)) == []
    assert presence.present(shared_world.other_conversation_id) == before[1]


@pytest.mark.parametrize("key", CONVERSATION_READS, ids=route_id)
def test_conversation_page_opens_for_its_own_workspace(
    shared_world: World, shared_sessions: dict[str, Caller], key: tuple[str, str]
) -> None:
    """The 404 above is about the workspace, not a broken route: globex's agent gets in."""
    caller = shared_sessions["globex"]
    _assert_ok(
        caller.call(shared_world, key, conversation_id=shared_world.other_conversation_id), key
    )


@pytest.mark.parametrize("key", CONVERSATION_ACTIONS, ids=route_id)
def test_conversation_action_works_for_its_own_workspace(
    world: World, signed_in: Callable[..., Caller], key: tuple[str, str]
) -> None:
    caller = signed_in(email=world.other_email)
    _assert_ok(caller.call(world, key, conversation_id=world.other_conversation_id), key)
