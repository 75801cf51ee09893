"""Input a new user gets wrong: always a 4xx problem that says what to fix, and no write."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from socialdesk.services.workspaces import ensure_accounts

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck

API = "/api/v1"


@pytest.fixture
def conv_id(desk: Desk) -> int:
    return desk.new_conversation("alice", kind="dms")


def test_malformed_json_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.client.post(
        f"{API}/conversations/{conv_id}/replies",
        content=b'{"text": "hi", "visibility": ',
        headers={**desk.tenant.headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 422, "not valid JSON")
    assert desk.counts() == before


def test_wrong_type_is_422_naming_the_field(
    desk: Desk, conv_id: int, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/replies", {"text": 42, "visibility": "private"})

    assert_problem(response, 422, "text: Input should be a valid string")
    assert desk.counts() == before


def test_reply_without_visibility_is_422(
    desk: Desk, conv_id: int, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/replies", {"text": "hello"})

    body = assert_problem(response, 422, "visibility: Field required")
    assert body["errors"] == [{"field": "visibility", "message": "Field required"}]
    assert desk.counts() == before


def test_reply_with_unknown_visibility_is_422(
    desk: Desk, conv_id: int, assert_problem: ProblemCheck
) -> None:
    response = desk.post(f"/conversations/{conv_id}/replies", {"text": "hi", "visibility": "dm"})

    assert_problem(response, 422, "'public' or 'private'")


def test_unknown_field_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.post(
        f"/conversations/{conv_id}/replies",
        {"text": "hi", "visibility": "private", "visiblity": "public"},
    )

    assert_problem(response, 422, "visiblity: Extra inputs are not permitted")
    assert desk.counts() == before


def test_reply_longer_than_allowed_is_422(
    desk: Desk, conv_id: int, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()

    response = desk.post(
        f"/conversations/{conv_id}/replies", {"text": "x" * 10_001, "visibility": "private"}
    )

    assert_problem(response, 422, "text: String should have at most 10000 characters")
    assert desk.counts() == before


def test_unknown_conversation_is_404(desk: Desk, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.post("/conversations/777/replies", {"text": "hi", "visibility": "private"})

    assert_problem(response, 404, "conversation 777 does not exist")
    assert desk.counts() == before


def test_id_that_is_not_a_number_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    assert_problem(
        desk.get("/conversations/abc"), 422, "conversation_id: Input should be a valid integer"
    )


def test_id_beyond_64_bits_is_422_not_a_crash(desk: Desk, assert_problem: ProblemCheck) -> None:
    assert_problem(desk.get(f"/conversations/{2**70}"), 422, "conversation_id")


def test_body_over_the_limit_is_413(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    limit = desk.app.settings.max_body_bytes
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/notes", {"body": "x" * (limit + 1)})

    assert_problem(response, 413, f"exceeds {limit:,} bytes")
    assert desk.counts() == before


def test_cursor_that_is_not_ours_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.get("/conversations", params={"cursor": "not-a-cursor"})

    assert_problem(response, 422, "cursor is not valid")


def test_forged_cursor_without_time_zone_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    forged = base64.urlsafe_b64encode(b"2026-01-01T00:00:00|5").decode()

    assert_problem(desk.get("/conversations", params={"cursor": forged}), 422, "cursor")


def test_forged_cursor_with_huge_id_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    forged = base64.urlsafe_b64encode(f"2026-01-01T00:00:00+00:00|{2**70}".encode()).decode()

    assert_problem(desk.get("/conversations", params={"cursor": forged}), 422, "cursor")


def test_unknown_status_filter_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.get("/conversations", params={"status": "closed"})

    assert_problem(response, 422, "status.0: Input should be 'open', 'pending'")


def test_unknown_status_in_patch_is_422(
    desk: Desk, conv_id: int, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()

    response = desk.patch(f"/conversations/{conv_id}", {"status": "closed"})

    assert_problem(response, 422, "status: Input should be 'open', 'pending'")
    assert desk.counts() == before


def test_assignee_filter_that_is_neither_id_nor_none_is_422(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    response = desk.get("/conversations", params={"assignee": "bob"})

    assert_problem(response, 422, "assignee must be a user id or 'none'")


def test_limit_out_of_range_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.get("/conversations", params={"limit": 0})

    assert_problem(response, 422, "limit: Input should be greater than or equal to 1")


def test_empty_patch_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.patch(f"/conversations/{conv_id}", {})

    assert_problem(response, 422, "give at least one of status")
    assert desk.counts() == before


def test_null_status_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    response = desk.patch(f"/conversations/{conv_id}", {"status": None})

    assert_problem(response, 422, "status cannot be null")


def test_body_that_is_a_list_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    response = desk.post(f"/conversations/{conv_id}/notes", ["a note"])

    assert_problem(response, 422, "Input should be a valid dictionary")


def test_missing_body_is_422(desk: Desk, conv_id: int, assert_problem: ProblemCheck) -> None:
    response = desk.post(f"/conversations/{conv_id}/notes")

    assert_problem(response, 422, "Field required")


def test_sandbox_customer_without_handle_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.post(
        f"/sandbox/{desk.tenant.account_id}/posts", {"from": {"name": "Anon"}, "text": "hi"}
    )

    assert_problem(response, 422, "from.handle: Field required")
    assert desk.counts() == before


def test_sandbox_message_id_too_long_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.post(
        f"/sandbox/{desk.tenant.account_id}/posts",
        {"from": {"handle": "alice"}, "text": "hi", "id": "m" * 151},
    )

    assert_problem(response, 422, "id: String should have at most 150 characters")
    assert desk.counts() == before


def test_sandbox_follower_count_beyond_storage_is_422(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    response = desk.post(
        f"/sandbox/{desk.tenant.account_id}/posts",
        {"from": {"handle": "alice", "followers": 2**40}, "text": "hi"},
    )

    assert_problem(response, 422, "from.followers")


def test_sandbox_post_to_a_non_sandbox_account_is_422(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    with desk.app.db.session() as session:
        x_account = ensure_accounts(session, desk.tenant.workspace_id, "x", ["acme"])["acme"]
    before = desk.counts()

    response = desk.post(f"/sandbox/{x_account}/posts", {"from": {"handle": "a"}, "text": "hi"})

    assert_problem(response, 422, "is not a sandbox account")
    assert desk.counts() == before
