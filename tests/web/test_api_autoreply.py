"""/api/v1/autoreply: workspace settings and per-account overrides, validation as 422
problems, roles, and that what the API stores is what the auto-responder sends."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from socialdesk.services.accounts import create_token, create_user
from socialdesk.services.calendars import CalendarSpec, create_calendar
from socialdesk.store.models import Message

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck


def _desk_with_role(desk: Desk, role: str) -> Desk:
    with desk.app.db.session() as session:
        user = create_user(
            session, desk.tenant.workspace_id, email=f"{role}@acme.example", name=role, role=role
        )
        token = create_token(session, desk.tenant.workspace_id, name=role, user_id=user.id)
    tenant = dataclasses.replace(desk.tenant, user_id=user.id, token=token.secret)
    return type(desk)(desk.app, desk.client, tenant)


@pytest.fixture
def supervisor(desk: Desk) -> Desk:
    return _desk_with_role(desk, "supervisor")


def _put(desk: Desk, path: str, body: Any) -> Any:
    return desk.client.put("/api/v1" + path, json=body, headers=desk.tenant.headers)


def _delete(desk: Desk, path: str) -> Any:
    return desk.client.delete("/api/v1" + path, headers=desk.tenant.headers)


def _auto_texts(desk: Desk, conversation_id: int) -> list[str]:
    with desk.app.db.read_session() as session:
        return list(
            session.scalars(
                select(Message.text).where(
                    Message.conversation_id == conversation_id,
                    Message.direction == "out",
                    Message.is_auto.is_(True),
                )
            )
        )


def test_workspace_settings_start_unset_and_put_changes_only_what_it_sends(
    supervisor: Desk,
) -> None:
    start = supervisor.get("/autoreply").json()
    assert (start["configured"], start["enabled"], start["updated_at"]) == (False, False, None)
    assert "{{next_opening}}" in start["default_texts"]["out_of_hours_text"]

    saved = _put(
        supervisor,
        "/autoreply",
        {
            "in_hours_enabled": True,
            "in_hours_text": "Hi {{ contact.name }}, an agent answers in {{expected_wait}}.",
            "welcome_buttons": ["Orders", " Returns ", ""],
        },
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["configured"] and body["enabled"] and body["out_of_hours_enabled"]
    assert body["welcome_buttons"] == ["Orders", "Returns"]
    assert body["public_posts"] is False  # public posts are acknowledged only when chosen

    again = _put(
        supervisor, "/autoreply", {"out_of_hours_enabled": False, "public_posts": True}
    ).json()
    assert again["public_posts"] is True
    assert again["in_hours_enabled"] is True  # kept
    assert again["in_hours_text"].startswith("Hi {{ contact.name }}")
    assert again["out_of_hours_enabled"] is False
    assert supervisor.get("/autoreply").json() == again


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"out_of_hours_text": "Back {{expected_wait}}"}, "unknown variable {{expected_wait}}"),
        ({"welcome_text": "Hi {{contact.first_name}}"}, "welcome_text"),
        ({"welcome_buttons": ["A very long button title here"]}, "at most 20 characters"),
        ({"welcome_buttons": [str(i) for i in range(11)]}, "welcome_buttons"),
        ({"enabled": "maybe"}, "enabled"),
        ({"colour": "blue"}, "colour"),
        ({"calendar_id": 999999}, "calendar 999999 does not exist"),
        ({"business_hours": {"timezone": "Mars/Olympus", "hours": {}}}, "Mars/Olympus"),
        (
            {"business_hours": {"timezone": "UTC", "hours": {"funday": [["09:00", "17:00"]]}}},
            "funday",
        ),
    ],
)
def test_invalid_settings_are_422_problems_and_store_nothing(
    supervisor: Desk, assert_problem: ProblemCheck, body: dict[str, Any], detail: str
) -> None:
    before = supervisor.counts()
    assert_problem(_put(supervisor, "/autoreply", body), 422, detail)
    assert supervisor.counts() == before


def test_calendar_of_another_workspace_is_refused(
    supervisor: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    with other_desk.app.db.session() as session:
        foreign = create_calendar(
            session,
            other_desk.tenant.workspace_id,
            CalendarSpec(name="Theirs", timezone="UTC", hours={"mon": [["09:00", "17:00"]]}),
        ).id
    assert_problem(_put(supervisor, "/autoreply", {"calendar_id": foreign}), 422, "calendar")
    with supervisor.app.db.session() as session:
        own = create_calendar(
            session,
            supervisor.tenant.workspace_id,
            CalendarSpec(name="Ours", timezone="UTC", hours={"mon": [["09:00", "17:00"]]}),
        ).id
    assert _put(supervisor, "/autoreply", {"calendar_id": own}).json()["calendar_id"] == own
    assert _put(supervisor, "/autoreply", {"calendar_id": None}).json()["calendar_id"] is None


def test_account_override_lifecycle(
    supervisor: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    account = supervisor.tenant.account_id
    path = f"/autoreply/accounts/{account}"
    assert_problem(supervisor.get(path), 404, "uses the workspace's")

    created = _put(supervisor, path, {"enabled": False})
    assert created.status_code == 200, created.text
    assert (created.json()["channel_account_id"], created.json()["enabled"]) == (account, False)
    assert supervisor.get(path).json()["enabled"] is False
    assert supervisor.get("/autoreply").json()["overridden_accounts"] == [account]
    assert supervisor.get("/autoreply").json()["configured"] is False  # the workspace's own

    assert _delete(supervisor, path).status_code == 204
    assert_problem(supervisor.get(path), 404, "no settings of its own")
    assert_problem(_delete(supervisor, path), 404, "no settings of its own")

    foreign = f"/autoreply/accounts/{other_desk.tenant.account_id}"
    for response in (
        supervisor.get(foreign),
        _put(supervisor, foreign, {}),
        _delete(supervisor, foreign),
    ):
        assert_problem(response, 404, "does not exist")


def test_agents_read_but_may_not_change(desk: Desk, assert_problem: ProblemCheck) -> None:
    assert desk.get("/autoreply").status_code == 200
    before = desk.counts()
    assert_problem(_put(desk, "/autoreply", {"enabled": True}), 403, "admins and supervisors")
    path = f"/autoreply/accounts/{desk.tenant.account_id}"
    assert_problem(_put(desk, path, {"enabled": False}), 403, "admins and supervisors")
    assert_problem(_delete(desk, path), 403, "admins and supervisors")
    assert desk.counts() == before


def test_stored_settings_drive_the_acknowledgements(supervisor: Desk) -> None:
    """No calendar anywhere: always open, so the in-hours text goes out; an account's own
    settings (switched off) then silence it for new conversations on that account."""
    _put(
        supervisor,
        "/autoreply",
        {
            "out_of_hours_enabled": False,
            "in_hours_enabled": True,
            "in_hours_text": "Hello {{contact.name}}: about {{expected_wait}} to go.",
        },
    )
    first = supervisor.new_conversation("dana", "where is my parcel?", kind="dms")
    texts = _auto_texts(supervisor, first)
    assert len(texts) == 1
    assert texts[0].startswith("Hello dana: about ") and "{{" not in texts[0]

    _put(supervisor, f"/autoreply/accounts/{supervisor.tenant.account_id}", {"enabled": False})
    second = supervisor.new_conversation("eli", "and mine?", kind="dms")
    assert _auto_texts(supervisor, second) == []
