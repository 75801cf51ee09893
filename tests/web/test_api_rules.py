"""/api/v1/rules: CRUD, order, on/off, 422s with positions, permissions and the dry run."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from socialdesk.services.accounts import create_token, create_user

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
def admin(desk: Desk) -> Desk:
    return _desk_with_role(desk, "admin")


def _rule(name: str = "Refunds", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "conditions": [{"field": "text", "op": "matches", "value": "refund* AND NOT thanks"}],
        "actions": [
            {"type": "set_priority", "value": "high"},
            {"type": "add_tags", "value": ["Refund"]},
        ],
    }
    body.update(overrides)
    return body


def test_crud_order_and_switches(admin: Desk, assert_problem: ProblemCheck) -> None:
    created = admin.post("/rules", _rule())
    assert created.status_code == 201, created.text
    first = created.json()
    assert (first["position"], first["enabled"], first["match"]) == (1, False, "all")
    assert first["actions"][1] == {"type": "add_tags", "value": ["refund"]}
    second = admin.post(
        "/rules", _rule("Spam", actions=[{"type": "mark_spam"}], enabled=True)
    ).json()
    third = admin.post("/rules", _rule("VIP", position=1)).json()
    names = [r["name"] for r in admin.get("/rules").json()["items"]]
    assert names == ["VIP", "Refunds", "Spam"]
    assert admin.get(f"/rules/{first['id']}").json()["position"] == 2

    reordered = admin.post("/rules/reorder", {"rule_ids": [second["id"], first["id"], third["id"]]})
    assert [r["name"] for r in reordered.json()["items"]] == ["Spam", "Refunds", "VIP"]
    assert_problem(admin.post("/rules/reorder", {"rule_ids": [second["id"]]}), 422, "every rule")

    changed = admin.patch(f"/rules/{first['id']}", {"match": "any", "name": "Refunds v2"}).json()
    assert (changed["match"], changed["name"], changed["conditions"]) == (
        "any",
        "Refunds v2",
        first["conditions"],
    )
    assert admin.post(f"/rules/{first['id']}/enable").json()["enabled"] is True
    assert admin.post(f"/rules/{first['id']}/disable").json()["enabled"] is False

    assert_problem(admin.post("/rules", _rule("Spam")), 409, "already exists")
    assert (
        admin.client.delete(
            f"/api/v1/rules/{second['id']}", headers=admin.tenant.headers
        ).status_code
        == 204
    )
    assert [r["position"] for r in admin.get("/rules").json()["items"]] == [1, 2]
    assert_problem(admin.get(f"/rules/{second['id']}"), 404, "does not exist")


def test_malformed_query_is_a_422_with_the_position(
    admin: Desk, assert_problem: ProblemCheck
) -> None:
    before = admin.counts()
    body = _rule(
        conditions=[
            {"field": "language", "op": "in", "value": ["en"]},
            {"field": "text", "op": "matches", "value": 'refund AND (late OR "missing'},
        ]
    )
    problem = assert_problem(admin.post("/rules", body), 422, "at position 21")
    assert problem["errors"] == [
        {
            "field": "conditions[1].value",
            "message": "unterminated phrase (missing closing quote) at position 21",
            "position": 21,
        }
    ]
    assert admin.counts() == before
    assert_problem(
        admin.post("/rules/try", {"conditions": [{"field": "text", "value": "a OR"}]}),
        422,
        "position 5",
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"actions": [{"type": "set_team", "value": 999}]}, "team 999 does not exist"),
        ({"actions": [{"type": "auto_reply", "value": 999}]}, "canned response 999"),
        ({"actions": [{"type": "assign", "value": "user:999"}]}, "user 999"),
        ({"actions": [{"type": "set_sla_policy", "value": 999}]}, "sla policy 999"),
        ({"actions": [{"type": "add_tags", "value": ["-bad"]}]}, "not valid"),
        ({"conditions": [{"field": "account", "op": "in", "value": [999]}]}, "channel account 999"),
        (
            {"conditions": [{"field": "business_hours", "value": "open", "calendar_id": 999}]},
            "calendar 999",
        ),
        ({"conditions": [{"field": "mood", "value": "bad"}]}, "conditions[0].field"),
        ({"actions": []}, "actions"),
        ({"match": "most"}, "match"),
        ({"name": "  "}, "name"),
    ],
)
def test_invalid_rules_are_422_and_write_nothing(
    admin: Desk, assert_problem: ProblemCheck, body: dict[str, Any], words: str
) -> None:
    before = admin.counts()
    assert_problem(admin.post("/rules", _rule(**body)), 422, words)
    assert admin.counts() == before


def test_agents_read_but_may_not_change_rules(
    desk: Desk, admin: Desk, assert_problem: ProblemCheck
) -> None:
    rule = admin.post("/rules", _rule()).json()
    assert [r["id"] for r in desk.get("/rules").json()["items"]] == [rule["id"]]
    assert_problem(desk.post("/rules", _rule("Mine")), 403, "admins and supervisors")
    assert_problem(desk.patch(f"/rules/{rule['id']}", {"name": "x"}), 403, "admins")
    assert_problem(desk.post(f"/rules/{rule['id']}/enable"), 403, "admins")
    assert_problem(desk.post("/rules/reorder", {"rule_ids": [rule["id"]]}), 403, "admins")
    response = desk.client.delete(f"/api/v1/rules/{rule['id']}", headers=desk.tenant.headers)
    assert_problem(response, 403, "admins")
    supervisor = _desk_with_role(desk, "supervisor")
    assert supervisor.patch(f"/rules/{rule['id']}", {"name": "By supervisor"}).status_code == 200


def test_rules_do_not_cross_workspaces(
    admin: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    rule = admin.post("/rules", _rule()).json()
    assert other_desk.get("/rules").json()["items"] == []
    assert_problem(other_desk.get(f"/rules/{rule['id']}"), 404, "does not exist")


def test_try_counts_what_a_rule_would_have_matched(admin: Desk) -> None:
    for n, text in enumerate(
        [
            "I want a refund now",
            "Refunds are too slow",
            "thanks for the refund",
            "my router is broken",
        ]
    ):
        admin.customer_writes(f"cust{n}", text)
    draft = {"days": 7, "conditions": _rule()["conditions"]}
    tried = admin.post("/rules/try", draft)
    assert tried.status_code == 200, tried.text
    result = tried.json()
    assert (result["evaluated"], result["matched"], result["truncated"]) == (4, 2, False)
    assert sorted(s["text"] for s in result["samples"]) == [
        "I want a refund now",
        "Refunds are too slow",
    ]
    assert all(s["language"] == "en" for s in result["samples"])

    stored = admin.post("/rules", _rule()).json()
    again = admin.post(f"/rules/{stored['id']}/try?days=1").json()
    assert again["matched"] == 2
    # trying changed nothing: the rule was off, no conversation got the tag
    detail = admin.get(f"/conversations/{admin.conversation_of(admin.customer_writes('x', 'hi'))}")
    assert detail.json()["tags"] == []
    anyone = admin.post(
        "/rules/try",
        {
            "days": 7,
            "match": "any",
            "conditions": [
                {"field": "sentiment", "op": "in", "value": ["negative"]},
                {"field": "text", "op": "matches", "value": "router"},
            ],
        },
    ).json()
    assert anyone["matched"] >= 1
    assert admin.post("/rules/try", {"days": 0}).status_code == 422


def test_enabled_rule_routes_and_messages_show_enrichment(admin: Desk) -> None:
    admin.post("/rules", _rule(enabled=True))
    conv_id = admin.new_conversation("angry", "Where is my REFUND??? Call me on +34 612 345 678")
    detail = admin.get(f"/conversations/{conv_id}").json()
    assert (detail["priority"], detail["tags"]) == ("high", ["refund"])
    message = detail["messages"][0]
    assert (message["language"], message["pii_kinds"]) == ("en", ["phone"])
    assert message["sentiment"] in ("negative", "neutral", "positive")
    assert isinstance(message["sentiment_score"], float)
    assert detail["language"] == "en" and detail["sentiment"] == message["sentiment"]
    identity = detail["contact"]["identities"][0]
    assert identity["influence"] == "low" and identity["influence_score"] >= 0
