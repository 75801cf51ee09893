"""PATCH, tags and notes on a conversation: each real change is one event; refusals change
nothing."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from socialdesk.store.models import Job
from socialdesk.store.types import utcnow

if TYPE_CHECKING:
    from conftest import Desk, Factory, ProblemCheck


def events(desk: Desk, conv_id: int, type_: str) -> list[dict[str, Any]]:
    body = desk.get(f"/conversations/{conv_id}").json()
    return [e for e in body["events"] if e["type"] == type_]


def test_status_change_is_saved_and_writes_an_event(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")

    response = desk.patch(f"/conversations/{conv_id}", {"status": "resolved"})

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_at"] is not None
    assert desk.conversation(conv_id).status == "resolved"
    [event] = events(desk, conv_id, "conversation.status_changed")
    assert event["data"] == {"from": "open", "to": "resolved"}
    assert event["actor"]["user_id"] == desk.tenant.user_id


def test_assigning_and_unassigning_write_one_event_each(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")

    assigned = desk.patch(f"/conversations/{conv_id}", {"assignee_id": desk.tenant.user_id})
    unassigned = desk.patch(f"/conversations/{conv_id}", {"assignee_id": None})

    assert assigned.json()["assignee_id"] == desk.tenant.user_id
    assert unassigned.json()["assignee_id"] is None
    assert [e["data"] for e in events(desk, conv_id, "conversation.assigned")] == [
        {"from": None, "to": desk.tenant.user_id},
        {"from": desk.tenant.user_id, "to": None},
    ]


def test_team_can_be_set_and_cleared(desk: Desk, factory: Factory) -> None:
    team = factory.team(desk.tenant.workspace_id, "Billing")
    conv_id = desk.new_conversation("alice")

    assert desk.patch(f"/conversations/{conv_id}", {"team_id": team}).json()["team_id"] == team
    assert desk.patch(f"/conversations/{conv_id}", {"team_id": None}).json()["team_id"] is None
    assert len(events(desk, conv_id, "conversation.team_changed")) == 2


def test_fields_left_out_stay_unchanged(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    desk.patch(f"/conversations/{conv_id}", {"assignee_id": desk.tenant.user_id})

    response = desk.patch(f"/conversations/{conv_id}", {"priority": "urgent"})

    assert response.json()["priority"] == "urgent"
    assert response.json()["assignee_id"] == desk.tenant.user_id
    assert len(events(desk, conv_id, "conversation.assigned")) == 1


def test_setting_the_current_value_writes_no_event(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")

    response = desk.patch(f"/conversations/{conv_id}", {"status": "open", "priority": "normal"})

    assert response.status_code == 200
    assert events(desk, conv_id, "conversation.status_changed") == []
    assert events(desk, conv_id, "conversation.priority_changed") == []


def test_snooze_until_a_future_time_is_saved(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    until = desk.soon(hours=2)

    response = desk.patch(
        f"/conversations/{conv_id}", {"status": "snoozed", "snoozed_until": until}
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "snoozed"
    assert desk.conversation(conv_id).snoozed_until is not None
    [event] = events(desk, conv_id, "conversation.status_changed")
    assert event["data"]["to"] == "snoozed"


def test_snooze_in_the_past_is_422_and_changes_nothing(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.patch(
        f"/conversations/{conv_id}",
        {"status": "snoozed", "snoozed_until": desk.soon(hours=-1), "priority": "high"},
    )

    assert_problem(response, 422, "a time in the future")
    assert desk.counts() == before
    stored = desk.conversation(conv_id)
    assert (stored.status, stored.priority) == ("open", "normal")


def test_snooze_without_a_time_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.patch(f"/conversations/{conv_id}", {"status": "snoozed"})

    assert_problem(response, 422, "snoozed_until")
    assert desk.counts() == before


def test_snooze_time_without_time_zone_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")
    naive = (utcnow() + timedelta(hours=1)).replace(tzinfo=None).isoformat()

    response = desk.patch(
        f"/conversations/{conv_id}", {"status": "snoozed", "snoozed_until": naive}
    )

    assert_problem(response, 422, "snoozed_until: Input should have timezone info")
    assert desk.conversation(conv_id).status == "open"


def test_snoozed_until_without_snoozed_status_is_422(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice")

    response = desk.patch(f"/conversations/{conv_id}", {"snoozed_until": desk.soon()})

    assert_problem(response, 422, "needs status 'snoozed'")


def test_snooze_given_in_another_offset_reopens_when_due(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    until = (utcnow() + timedelta(hours=1)).astimezone(timezone(timedelta(hours=2)))
    desk.patch(
        f"/conversations/{conv_id}", {"status": "snoozed", "snoozed_until": until.isoformat()}
    )

    with desk.app.db.session() as session:  # let the hour pass
        session.execute(
            update(Job)
            .where(Job.kind == "conversation.wake")
            .values(run_at=utcnow() - timedelta(seconds=1))
        )
    desk.process()

    assert desk.conversation(conv_id).status == "open"


def test_assigning_someone_outside_the_workspace_is_422_and_changes_nothing(
    desk: Desk, other_desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.patch(
        f"/conversations/{conv_id}", {"priority": "high", "assignee_id": other_desk.tenant.user_id}
    )

    assert_problem(response, 422, "not an active agent of this workspace")
    assert desk.counts() == before
    assert desk.conversation(conv_id).priority == "normal"


def test_unknown_team_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")

    assert_problem(
        desk.patch(f"/conversations/{conv_id}", {"team_id": 987654}),
        422,
        "team 987654 does not exist",
    )


def test_tags_are_added_and_removed(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    desk.post(f"/conversations/{conv_id}/tags", {"add": ["Refund", "urgent-ish"]})

    response = desk.post(
        f"/conversations/{conv_id}/tags", {"add": ["shipping"], "remove": ["urgent-ish"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["refund", "shipping"]
    assert [e["data"] for e in events(desk, conv_id, "conversation.tags_changed")] == [
        {"added": ["refund", "urgent-ish"], "removed": []},
        {"added": ["shipping"], "removed": ["urgent-ish"]},
    ]


def test_invalid_tag_is_422_and_creates_no_tags(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/tags", {"add": ["fine", "!!!"]})

    assert_problem(response, 422, "tag '!!!' is not valid")
    assert desk.counts() == before


def test_empty_tag_change_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")

    assert_problem(desk.post(f"/conversations/{conv_id}/tags", {}), 422, "add or to remove")


def test_note_is_201_and_written_once(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    response = desk.post(f"/conversations/{conv_id}/notes", {"body": "VIP, be gentle"})

    assert response.status_code == 201, response.text
    assert response.json()["body"] == "VIP, be gentle"
    after = desk.counts()
    assert after["notes"] == before["notes"] + 1
    assert after["events"] == before["events"] + 1


def test_blank_note_is_422_and_writes_nothing(desk: Desk, assert_problem: ProblemCheck) -> None:
    conv_id = desk.new_conversation("alice")
    before = desk.counts()

    assert_problem(
        desk.post(f"/conversations/{conv_id}/notes", {"body": "   "}), 422, "needs some text"
    )
    assert desk.counts() == before
