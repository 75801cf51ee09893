"""Bearer tokens gate every API route, and a token sees only its own workspace."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import update

from socialdesk.store.models import ApiToken
from socialdesk.store.types import utcnow

if TYPE_CHECKING:
    from conftest import Desk, Factory, ProblemCheck

API = "/api/v1"


def test_request_without_token_is_401_problem(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.client.get(f"{API}/conversations")
    assert_problem(response, 401, "Authorization: Bearer")


def test_unknown_token_is_401(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.client.get(
        f"{API}/conversations", headers={"Authorization": "Bearer sd_not-a-real-token"}
    )
    assert_problem(response, 401, "unknown or revoked")


def test_revoked_token_is_401(desk: Desk, assert_problem: ProblemCheck) -> None:
    with desk.app.db.session() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert_problem(desk.get("/conversations"), 401, "unknown or revoked")


def test_basic_auth_instead_of_bearer_is_401(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.client.get(
        f"{API}/conversations", headers={"Authorization": "Basic YWdlbnQ6c2VjcmV0"}
    )
    assert_problem(response, 401, "Bearer")


def test_every_api_route_answers_401_without_a_token(
    desk: Desk, client: TestClient, assert_problem: ProblemCheck
) -> None:
    paths = {
        path: methods
        for path, methods in client.get("/openapi.json").json()["paths"].items()
        if path.startswith(API)
    }
    assert len(paths) >= 10
    before = desk.counts()
    for template, methods in paths.items():
        path = re.sub(r"\{[^}]+\}", str(desk.tenant.account_id), template)
        for method in methods:
            response = client.request(method.upper(), path, json={})
            assert_problem(response, 401, "API token")
    assert desk.counts() == before


def test_token_without_user_acts_as_api(desk: Desk, factory: Factory) -> None:
    token = factory.token(desk.tenant.workspace_id, user_id=None)
    conv_id = desk.new_conversation("alice")
    response = desk.client.post(
        f"{API}/conversations/{conv_id}/notes",
        json={"body": "from the integration"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["author_user_id"] is None


def test_list_shows_only_the_callers_workspace(desk: Desk, other_desk: Desk) -> None:
    mine = desk.new_conversation("alice")
    theirs = other_desk.new_conversation("bob")
    assert [c["id"] for c in desk.get("/conversations").json()["items"]] == [mine]
    assert [c["id"] for c in other_desk.get("/conversations").json()["items"]] == [theirs]


def test_conversation_of_another_workspace_is_404(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    theirs = other_desk.new_conversation("bob")
    assert_problem(desk.get(f"/conversations/{theirs}"), 404, f"conversation {theirs}")


def test_writes_to_another_workspaces_conversation_are_404_and_change_nothing(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    theirs = other_desk.new_conversation("bob", kind="dms")
    before = desk.counts()
    attempts = [
        desk.patch(f"/conversations/{theirs}", {"status": "resolved"}),
        desk.post(f"/conversations/{theirs}/tags", {"add": ["vip"]}),
        desk.post(f"/conversations/{theirs}/notes", {"body": "peek"}),
        desk.post(f"/conversations/{theirs}/replies", {"text": "hi", "visibility": "private"}),
    ]
    for response in attempts:
        assert_problem(response, 404, "does not exist in this workspace")
    assert desk.counts() == before
    assert other_desk.conversation(theirs).status == "open"


def test_contact_of_another_workspace_is_404(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    other_desk.new_conversation("bob")
    theirs = other_desk.contact_of("bob")
    assert_problem(desk.get(f"/contacts/{theirs}"), 404, f"contact {theirs}")


def test_merging_a_contact_of_another_workspace_is_404_and_changes_nothing(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    desk.new_conversation("alice")
    other_desk.new_conversation("bob")
    before = desk.counts()
    response = desk.post(
        f"/contacts/{desk.contact_of('alice')}/merge",
        {"other_contact_id": other_desk.contact_of("bob")},
    )
    assert_problem(response, 404, "does not exist in this workspace")
    assert desk.counts() == before


def test_channel_account_of_another_workspace_is_404(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    theirs = other_desk.tenant.account_id
    assert_problem(desk.get(f"/channel-accounts/{theirs}"), 404, f"channel account {theirs}")
    assert_problem(desk.get(f"/sandbox/{theirs}/deliveries"), 404, f"channel account {theirs}")


def test_injecting_into_another_workspaces_sandbox_is_404_and_stores_nothing(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()
    response = desk.post(
        f"/sandbox/{other_desk.tenant.account_id}/posts",
        {"from": {"handle": "mallory"}, "text": "hello"},
    )
    assert_problem(response, 404, "does not exist in this workspace")
    assert desk.counts() == before
