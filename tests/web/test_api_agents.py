"""API v1 /agents and /teams: availability, skills, capacity, shifts and team strategies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.services.accounts import create_user
from socialdesk.store.models import Team, User

if TYPE_CHECKING:
    from conftest import Desk, Factory, ProblemCheck

API = "/api/v1"


def admin_headers(desk: Desk, factory: Factory) -> dict[str, str]:
    """A workspace token (no user): admin rights."""
    return {"Authorization": f"Bearer {factory.token(desk.tenant.workspace_id)}"}


def test_an_agent_goes_online_and_offline_through_the_api(desk: Desk) -> None:
    me = desk.tenant.user_id
    response = desk.patch(f"/agents/{me}", {"availability": "online"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["availability"] == "online"
    assert body["capacity"] == {"social": 8, "messaging": 5, "email": 10, "chat": 3}
    assert body["on_duty"] is None

    conv_id = desk.new_conversation("alice")
    assert desk.patch(f"/conversations/{conv_id}", {"assignee_id": me}).status_code == 200
    assert desk.get(f"/agents/{me}").json()["open_conversations"]["social"] == 1

    response = desk.patch(f"/agents/{me}", {"availability": "offline"})
    assert response.json()["open_conversations"]["social"] == 0
    assert desk.conversation(conv_id).assignee_id is None
    events = [
        e
        for e in desk.get(f"/conversations/{conv_id}").json()["events"]
        if e["type"] == "conversation.assigned"
    ]
    assert events[-1]["data"]["reason"] == "agent went offline"


def test_agents_cannot_change_others_or_their_own_settings(
    desk: Desk, factory: Factory, assert_problem: ProblemCheck
) -> None:
    other = factory.user(desk.tenant.workspace_id, "bea@acme.example", "Bea")
    before = desk.counts()
    assert_problem(desk.patch(f"/agents/{other}", {"availability": "online"}), 403, "another agent")
    assert_problem(
        desk.patch(f"/agents/{desk.tenant.user_id}", {"capacity": {"social": 50}}),
        403,
        "supervisors and admins",
    )
    assert_problem(
        desk.patch(
            f"/teams/{factory.team(desk.tenant.workspace_id, 'Billing')}", {"kind": "platform"}
        ),
        403,
        "supervisors and admins",
    )
    after = desk.counts()
    after["teams"] -= 1  # the team made for the last check
    assert after == before


def test_admins_set_skills_capacity_and_shifts(
    desk: Desk, factory: Factory, assert_problem: ProblemCheck
) -> None:
    headers = admin_headers(desk, factory)
    agent = desk.tenant.user_id
    body = {
        "languages": ["ES", "en", "es"],
        "topics": ["Billing"],
        "capacity": {"social": 3, "email": 0},
        "shift_timezone": "Europe/Madrid",
        "shifts": [
            {"day": "mon", "start": "09:00", "end": "13:00", "channel_types": ["social"]},
            {"day": "tue", "start": "14:00", "end": "24:00"},
        ],
    }
    response = desk.client.patch(f"{API}/agents/{agent}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["languages"] == ["en", "es"] and out["topics"] == ["billing"]
    assert out["capacity"]["social"] == 3 and out["capacity"]["email"] == 0
    assert out["capacity"]["messaging"] == 5
    assert out["shifts"][0] == {
        "day": "mon",
        "start": "09:00",
        "end": "13:00",
        "channel_types": ["social"],
    }
    assert isinstance(out["on_duty"], list)

    before = desk.counts()
    for bad, detail in [
        ({"capacity": {"fax": 1}}, "unknown channel type"),
        ({"capacity": {"social": -2}}, "between 0"),
        ({"shifts": [{"day": "mon", "start": "17:00", "end": "09:00"}]}, "ends before"),
        ({"shift_timezone": "Nowhere/Land"}, "time zone"),
        ({"availability": "busy"}, "availability"),
        ({"languages": None}, "cannot be null"),
        ({}, "at least one"),
    ]:
        response = desk.client.patch(f"{API}/agents/{agent}", json=bad, headers=headers)
        assert_problem(response, 422, detail)
    assert desk.counts() == before
    assert_problem(desk.client.get(f"{API}/agents/999999", headers=headers), 404, "agent")


def test_team_strategy_through_the_api_and_agents_listed(
    desk: Desk, factory: Factory, assert_problem: ProblemCheck
) -> None:
    headers = admin_headers(desk, factory)
    team_id = factory.team(desk.tenant.workspace_id, "Social")
    response = desk.client.patch(
        f"{API}/teams/{team_id}",
        json={"assignment_strategy": "round_robin", "kind": "platform", "platforms": ["Twitter"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["assignment_strategy"] == "round_robin"
    assert response.json()["platforms"] == ["twitter"]
    assert_problem(
        desk.client.patch(
            f"{API}/teams/{team_id}", json={"assignment_strategy": "random"}, headers=headers
        ),
        422,
        "assignment_strategy",
    )
    with desk.app.db.read_session() as s:
        team = s.get(Team, team_id)
        assert team is not None and team.assignment_strategy == "round_robin"
    listed = desk.client.get(f"{API}/teams", headers=headers).json()["items"]
    assert [t["name"] for t in listed] == ["Social"]
    agents = desk.get("/agents").json()["items"]
    assert [a["id"] for a in agents] == [desk.tenant.user_id]


def test_coming_online_picks_up_the_waiting_queue(desk: Desk, factory: Factory) -> None:
    headers = admin_headers(desk, factory)
    team_id = factory.team(desk.tenant.workspace_id, "Care")
    with desk.app.db.session() as s:
        agent = create_user(s, desk.tenant.workspace_id, email="carl@acme.example", name="Carl")
        agent.teams.append(s.get_one(Team, team_id))
        carl = agent.id
    conv_id = desk.new_conversation("waiting")
    desk.patch(f"/conversations/{conv_id}", {"team_id": team_id})
    desk.client.patch(
        f"{API}/teams/{team_id}", json={"assignment_strategy": "least_loaded"}, headers=headers
    )
    desk.process()
    assert desk.conversation(conv_id).assignee_id is None  # nobody online yet
    desk.client.patch(f"{API}/agents/{carl}", json={"availability": "online"}, headers=headers)
    desk.process()
    assert desk.conversation(conv_id).assignee_id == carl
    with desk.app.db.read_session() as s:
        assert s.get_one(User, carl).availability == "online"
