"""How events read in the conversation timeline: sentences an agent understands, never raw
event names, and people's names as they are written."""

from __future__ import annotations

from typing import Any

from socialdesk.store.models import Event
from socialdesk.web.ui.timeline import _describe

USERS = {7: "Chloé Martin"}


def line(type_: str, data: dict[str, Any], *, user: int | None = 7, kind: str = "agent") -> str:
    event = Event(type=type_, data=data, actor_user_id=user, actor_kind=kind)
    return _describe(event, USERS, {3: "Billing"})


def test_a_status_change_keeps_the_agents_name_as_written() -> None:
    text = line("conversation.status_changed", {"from": "open", "to": "resolved"})
    assert text == "Chloé Martin set status to resolved"


def test_a_snooze_ending_says_who_and_why() -> None:
    text = line(
        "conversation.status_changed",
        {"from": "snoozed", "to": "open", "reason": "snooze ended"},
        user=None,
        kind="system",
    )
    assert text == "Socialdesk set status to open (snooze ended)"


def test_a_linked_address_reads_as_a_sentence() -> None:
    data = {"identity_added": {"platform": "email", "external_id": "ana@example.org"}}
    assert line("contact.updated", data) == (
        "Chloé Martin added the email address ana@example.org to the customer"
    )
    assert line("contact.updated", {"after": {"crm_id": "C-1"}}) == (
        "Chloé Martin updated the customer's details"
    )


def test_web_chat_follow_ups_say_where_the_answer_went() -> None:
    sent = line("webchat.email_followup", {"queued": True, "email": "v@example.org"})
    failed = line(
        "webchat.email_followup",
        {"queued": False, "email": "v@example.org", "reason": "no email channel account"},
    )
    assert sent == "The visitor had left: the answer goes by email to v@example.org"
    assert failed.endswith("v@example.org: no email channel account")


def test_an_unknown_event_is_shown_readably_not_by_its_raw_name() -> None:
    text = line("conversation.archived_elsewhere", {})
    assert text == "Archived elsewhere"
    assert "." not in text and "_" not in text
