"""The availability switch every agent has, and the admin page for skills, capacity, shifts
and team strategies."""

from __future__ import annotations

from collections.abc import Callable

from ui_support import Caller, World

from socialdesk.services.accounts import create_team
from socialdesk.store.models import Conversation, Team, User

HTMX = {"HX-Request": "true"}


def test_agent_switches_availability_and_conversations_return_to_the_queue(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    page = agent.client.get("/inbox")
    assert '/me/availability" hx-trigger="load"' in page.text
    switch = agent.client.get("/me/availability", headers=HTMX)
    assert 'aria-label="Your availability"' in switch.text
    assert '<option value="offline" selected>' in switch.text

    headers = {**HTMX, "X-CSRF-Token": agent.csrf or ""}
    online = agent.client.post("/me/availability", data={"availability": "online"}, headers=headers)
    assert online.status_code == 200 and '<option value="online" selected>' in online.text
    with world.app.db.session() as s:
        s.get_one(Conversation, world.conversation_id).assignee_id = world.users["agent"]

    offline = agent.client.post(
        "/me/availability", data={"availability": "offline"}, headers=headers
    )
    assert "1 back to the queue" in offline.text
    with world.app.db.read_session() as s:
        assert s.get_one(Conversation, world.conversation_id).assignee_id is None
        assert s.get_one(User, world.users["agent"]).availability == "offline"

    bad = agent.client.post("/me/availability", data={"availability": "asleep"}, headers=headers)
    assert bad.status_code == 422 and "availability must be one of" in bad.text


def test_admin_edits_skills_capacity_shifts_and_team_strategy(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    with world.app.db.session() as s:
        team_id = create_team(s, world.workspace_id, "Billing").id
    admin = signed_in("admin")
    page = admin.client.get("/admin/agents")
    assert page.status_code == 200 and "Agents &amp; assignment" in page.text
    headers = {"X-CSRF-Token": admin.csrf or ""}
    user_id = world.users["agent"]
    saved = admin.client.post(
        f"/admin/agents/{user_id}",
        data={
            "languages": "es, EN",
            "topics": "refund",
            "cap_social": "4",
            "cap_email": "0",
            "shift_timezone": "Europe/Madrid",
            "shifts": "mon 09:00-13:00 social\ntue 14:00-18:00",
        },
        headers=headers,
    )
    assert saved.status_code == 303, saved.text
    strategy = admin.client.post(
        "/admin/teams/strategies", data={f"strategy_{team_id}": "skills"}, headers=headers
    )
    assert strategy.status_code == 303, strategy.text
    with world.app.db.read_session() as s:
        user = s.get_one(User, user_id)
        assert user.languages == ["en", "es"] and user.capacity == {"social": 4, "email": 0}
        assert user.shifts[0]["channel_types"] == ["social"] and len(user.shifts) == 2
        assert s.get_one(Team, team_id).assignment_strategy == "skills"
    shown = admin.client.get("/admin/agents").text
    assert "mon 09:00-13:00 social" in shown

    refused = admin.client.post(
        f"/admin/agents/{user_id}",
        data={"shifts": "mon 9 to 5", "cap_social": "4"},
        headers=headers,
    )
    assert refused.status_code == 422 and "shift line 1" in refused.text
    with world.app.db.read_session() as s:
        assert len(s.get_one(User, user_id).shifts) == 2
