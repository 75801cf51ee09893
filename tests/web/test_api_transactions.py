"""One transaction per request: a refusal at any point, even at commit, writes nothing and
is answered as an error, never as a success."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from socialdesk.domain.errors import Conflict
from socialdesk.store.models import Note

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck


@pytest.fixture
def refuse_commits_with_notes() -> Iterator[None]:
    """Make the commit of any transaction that wrote a note fail with a domain error."""

    def mark(session: Session, *_args: Any) -> None:
        if any(isinstance(obj, Note) for obj in session.new):
            session.info["refuse"] = True

    def refuse(session: Session, *_args: Any) -> None:
        if session.info.pop("refuse", False):
            raise Conflict("the database refused the commit")

    event.listen(Session, "before_flush", mark)
    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)
        event.remove(Session, "before_flush", mark)


def test_error_after_the_response_is_built_is_answered_and_rolled_back(
    desk: Desk, refuse_commits_with_notes: None, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/notes", {"body": "never saved"})

    assert_problem(response, 409, "refused the commit")
    assert desk.counts() == before


def test_failure_late_in_a_patch_undoes_its_earlier_changes(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    # Priority and assignee are applied (with events) before the status is found invalid.
    response = desk.patch(
        f"/conversations/{conv_id}",
        {"priority": "urgent", "assignee_id": desk.tenant.user_id, "status": "snoozed"},
    )

    assert_problem(response, 422, "snoozed_until")
    assert desk.counts() == before
    stored = desk.conversation(conv_id)
    assert (stored.priority, stored.assignee_id) == ("normal", None)


def test_refused_reply_leaves_no_message_and_no_job(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    before = desk.counts()

    response = desk.post(
        f"/conversations/{conv_id}/replies", {"text": "hi", "visibility": "public"}
    )

    assert_problem(response, 422, "no public post")
    assert desk.counts() == before
