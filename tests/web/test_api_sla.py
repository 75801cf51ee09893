"""The SLA policy, calendar and webhook endpoints: CRUD, validation as 422 problems, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from socialdesk.bootstrap import App
from socialdesk.services.webhooks_out import WEBHOOK_JOB
from socialdesk.store.models import Conversation, Job

if TYPE_CHECKING:
    from conftest import Desk, Factory, ProblemCheck

API = "/api/v1"

OFFICE: dict[str, Any] = {
    "name": "Madrid office",
    "timezone": "Europe/Madrid",
    "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "ES",
    "holiday_subdivision": "MD",
    "closed_dates": ["2026-12-24"],
}
POLICY: dict[str, Any] = {
    "name": "Standard",
    "is_default": True,
    "targets": [
        {"first_response_minutes": 60, "next_response_minutes": 120, "resolution_minutes": 1440},
        {"priority": "urgent", "first_response_minutes": 15},
        {"platform": "twitter", "first_response_minutes": 30},
    ],
}


class Admin:
    """A token without a user (acts as admin) in the desk's workspace."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(method, API + path, json=body, headers=self.headers)


@pytest.fixture
def admin(desk: Desk, client: TestClient, factory: Factory) -> Admin:
    return Admin(client, factory.token(desk.tenant.workspace_id))


def test_calendar_crud(admin: Admin) -> None:
    created = admin("POST", "/calendars", OFFICE)
    assert created.status_code == 201, created.text
    calendar = created.json()
    assert calendar["hours"]["mon"] == [["09:00", "17:00"]]
    assert calendar["holiday_country"] == "ES"
    assert isinstance(calendar["is_open_now"], bool)

    assert [c["id"] for c in admin("GET", "/calendars").json()["items"]] == [calendar["id"]]
    changed = admin("PUT", f"/calendars/{calendar['id']}", {**OFFICE, "name": "Madrid"})
    assert changed.status_code == 200, changed.text
    assert admin("GET", f"/calendars/{calendar['id']}").json()["name"] == "Madrid"
    assert admin("DELETE", f"/calendars/{calendar['id']}").status_code == 204
    assert admin("GET", f"/calendars/{calendar['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"hours": {"mon": [["17:00", "09:00"]]}}, "end before they start"),
        ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "overlap"),
        ({"hours": {"funday": [["09:00", "17:00"]]}}, "not a weekday"),
        ({"hours": {"mon": [["25:00", "26:00"]]}}, "not a time"),
        ({"hours": {"mon": [["9am", "5pm"]]}}, "hours"),
        ({"hours": {}}, "at least one opening"),
        ({"holiday_country": "XX", "holiday_subdivision": None}, "no public holidays"),
        ({"holiday_subdivision": "ZZ"}, "region"),
        ({"closed_dates": ["tomorrow"]}, "closed_dates"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_calendar_is_a_422_problem_and_stores_nothing(
    admin: Admin, desk: Desk, assert_problem: ProblemCheck, change: dict[str, Any], detail: str
) -> None:
    before = desk.counts()
    response = admin("POST", "/calendars", {**OFFICE, **change})
    body = assert_problem(response, 422, detail if "errors" not in detail else "")
    if body.get("errors"):
        assert any(detail in str(e) for e in body["errors"]) or detail in body["detail"]
    assert desk.counts() == before


def test_policy_crud_and_a_single_default(admin: Admin) -> None:
    calendar_id = admin("POST", "/calendars", OFFICE).json()["id"]
    first = admin("POST", "/sla-policies", {**POLICY, "calendar_id": calendar_id})
    assert first.status_code == 201, first.text
    policy = first.json()
    assert policy["calendar_id"] == calendar_id
    assert policy["targets"][1] == {
        "priority": "urgent",
        "platform": None,
        "first_response_minutes": 15,
        "next_response_minutes": None,
        "resolution_minutes": None,
    }
    second = admin("POST", "/sla-policies", {**POLICY, "name": "VIP"}).json()

    defaults = [p["name"] for p in admin("GET", "/sla-policies").json()["items"] if p["is_default"]]
    assert defaults == ["VIP"]
    replaced = admin("PUT", f"/sla-policies/{policy['id']}", {**POLICY, "is_default": False})
    assert replaced.json()["calendar_id"] is None
    assert admin("DELETE", f"/sla-policies/{second['id']}").status_code == 204
    assert [p["name"] for p in admin("GET", "/sla-policies").json()["items"]] == ["Standard"]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"targets": []}, "targets"),
        ({"targets": [{"priority": "urgent"}]}, "at least one of the three"),
        (
            {"targets": [{"first_response_minutes": 5}, {"first_response_minutes": 9}]},
            "already covers",
        ),
        ({"targets": [{"priority": "critical", "first_response_minutes": 5}]}, "priority"),
        ({"targets": [{"first_response_minutes": 0}]}, "first_response_minutes"),
        ({"calendar_id": 999999}, "calendar 999999"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_policy_is_a_422_problem_and_stores_nothing(
    admin: Admin, desk: Desk, assert_problem: ProblemCheck, change: dict[str, Any], detail: str
) -> None:
    before = desk.counts()
    body = assert_problem(admin("POST", "/sla-policies", {**POLICY, **change}), 422, "")
    assert detail in body["detail"] or any(detail in str(e) for e in body.get("errors") or [])
    assert desk.counts() == before


def test_duplicate_policy_name_is_409(admin: Admin, assert_problem: ProblemCheck) -> None:
    admin("POST", "/sla-policies", POLICY)
    assert_problem(admin("POST", "/sla-policies", POLICY), 409, "already exists")


def test_calendar_in_use_cannot_be_deleted(admin: Admin, assert_problem: ProblemCheck) -> None:
    calendar_id = admin("POST", "/calendars", OFFICE).json()["id"]
    admin("POST", "/sla-policies", {**POLICY, "calendar_id": calendar_id})

    assert_problem(admin("DELETE", f"/calendars/{calendar_id}"), 409, "used by SLA policy")


def test_calendar_of_another_workspace_is_invisible(
    admin: Admin,
    other_desk: Desk,
    factory: Factory,
    client: TestClient,
    assert_problem: ProblemCheck,
) -> None:
    other = Admin(client, factory.token(other_desk.tenant.workspace_id))
    theirs = other("POST", "/calendars", OFFICE).json()["id"]

    assert_problem(admin("GET", f"/calendars/{theirs}"), 404, "does not exist")
    assert_problem(
        admin("POST", "/sla-policies", {**POLICY, "calendar_id": theirs}), 422, "does not exist"
    )


def test_agents_may_read_but_not_change(
    desk: Desk, admin: Admin, assert_problem: ProblemCheck
) -> None:
    admin("POST", "/sla-policies", POLICY)

    assert desk.get("/sla-policies").status_code == 200
    assert_problem(desk.post("/sla-policies", {**POLICY, "name": "Mine"}), 403, "supervisors")
    assert_problem(desk.post("/calendars", OFFICE), 403, "supervisors")
    assert_problem(
        desk.post("/webhooks", {"url": "https://example.com/h", "event_types": ["sla.warning"]}),
        403,
        "supervisors",
    )


def test_policy_from_the_api_runs_clocks_on_new_conversations(admin: Admin, desk: Desk) -> None:
    policy_id = admin("POST", "/sla-policies", POLICY).json()["id"]

    conv = desk.conversation(desk.new_conversation("@dana", "where is my refund"))

    assert conv.sla_policy_id == policy_id
    assert conv.first_response_due_at is not None
    assert conv.sla_due_at == conv.first_response_due_at


def test_inbox_sorts_by_time_left_and_breaching_view_uses_due_times(
    admin: Admin, desk: Desk, app: App
) -> None:
    from datetime import timedelta

    from socialdesk.services.inbox import InboxQuery, inbox_page, view_counts
    from socialdesk.store.types import utcnow

    admin("POST", "/sla-policies", POLICY)
    ids = [desk.new_conversation(f"@c{i}", "help") for i in range(3)]
    now = utcnow()
    with app.db.session() as session:  # as if they had waited: 10 min, 55 min, 2 h
        for conv_id, waited in zip(ids, (10, 55, 120), strict=True):
            conv = session.get(Conversation, conv_id)
            assert conv is not None
            conv.sla_due_at = now - timedelta(minutes=waited) + timedelta(hours=1)
            conv.sla_warn_at = now - timedelta(minutes=waited) + timedelta(minutes=48)
    with app.db.read_session() as session:
        uid = desk.tenant.user_id
        rows, _, _ = inbox_page(session, desk.tenant.workspace_id, uid, InboxQuery(sort="due"))
        breaching, _, _ = inbox_page(
            session, desk.tenant.workspace_id, uid, InboxQuery(view="breaching")
        )
        counts = view_counts(session, desk.tenant.workspace_id, uid)

    assert [c.id for c in rows] == [ids[2], ids[1], ids[0]]
    assert {c.id for c in breaching} == {ids[1], ids[2]}
    assert counts["breaching"] == 2


def test_webhook_crud_shows_the_secret_once(admin: Admin, desk: Desk, app: App) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["sla.breached", "sla.warning"]}
    created = admin("POST", "/webhooks", body)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_")

    listed = admin("GET", "/webhooks").json()["items"]
    assert "secret" not in listed[0]
    assert hook["secret"] not in admin("GET", f"/webhooks/{hook['id']}").text
    replaced = admin("PUT", f"/webhooks/{hook['id']}", {**body, "is_active": False})
    assert replaced.json()["is_active"] is False
    tested = admin("POST", f"/webhooks/{hook['id']}/test")
    assert tested.status_code == 202
    with app.db.read_session() as session:
        kinds = list(session.scalars(select(Job.kind).where(Job.kind == WEBHOOK_JOB)))
    assert kinds == [WEBHOOK_JOB]
    assert admin("DELETE", f"/webhooks/{hook['id']}").status_code == 204
    assert admin("GET", "/webhooks").json()["items"] == []


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"url": "ftp://example.com/x"}, "http"),
        ({"url": "https://user:pw@example.com/x"}, "password"),
        ({"event_types": ["conversation.exploded"]}, "unknown event type"),
        ({"event_types": []}, "event_types"),
        ({"secret": "short"}, "secret"),
    ],
)
def test_bad_webhook_is_a_422_problem(
    admin: Admin, desk: Desk, assert_problem: ProblemCheck, change: dict[str, Any], detail: str
) -> None:
    before = desk.counts()
    body = {"url": "https://example.com/hook", "event_types": ["sla.breached"], **change}
    problem = assert_problem(admin("POST", "/webhooks", body), 422, "")
    assert detail in problem["detail"] or any(detail in str(e) for e in problem.get("errors") or [])
    assert desk.counts() == before


def test_inbox_row_and_conversation_view_show_time_left_and_breach(
    admin: Admin, desk: Desk, client: TestClient, factory: Factory, app: App
) -> None:
    from datetime import timedelta

    from socialdesk.services.accounts import create_user
    from socialdesk.store.types import utcnow

    admin("POST", "/sla-policies", POLICY)
    late = desk.new_conversation("@late", "still waiting")
    fresh = desk.new_conversation("@fresh", "hello")
    with app.db.session() as session:
        conv = session.get(Conversation, late)
        assert conv is not None
        conv.first_response_due_at = conv.sla_due_at = utcnow() - timedelta(minutes=5)
        conv.sla_warn_at = utcnow() - timedelta(minutes=17)
        create_user(
            session,
            desk.tenant.workspace_id,
            email="sup@acme.test",
            name="Sue",
            role="supervisor",
            password="correct-horse-battery",
        )
    signed = client.post(
        "/login",
        data={"email": "sup@acme.test", "password": "correct-horse-battery"},
        follow_redirects=False,
    )
    if signed.status_code != 303:  # the sign-in form wants its own CSRF cookie first
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed = client.post(
            "/login",
            data={
                "email": "sup@acme.test",
                "password": "correct-horse-battery",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
    assert signed.status_code == 303, signed.text

    inbox = client.get("/inbox?view=breaching&sort=due").text
    late_row = inbox.split(f'data-id="{late}"')[1].split("</li>")[0]
    assert 'data-sla="breached"' in late_row and "SLA breached" in late_row
    assert f'data-id="{fresh}"' not in inbox  # not past 80 % yet
    all_open = client.get("/inbox?sort=due").text
    fresh_row = all_open.split(f'data-id="{fresh}"')[1].split("</li>")[0]
    assert 'data-sla="ok"' in fresh_row and "left" in fresh_row
    assert all_open.index(f'data-id="{late}"') < all_open.index(f'data-id="{fresh}"')

    view = client.get(f"/conversations/{late}").text
    assert 'data-clock="first_response" data-state="breached"' in view
    assert 'data-clock="resolution" data-state="ok"' in view
    assert client.get("/admin/sla").status_code == 200
