"""Auto-responders on SQLite and PostgreSQL: out-of-hours acknowledgements with the right next
opening, expected waits, welcome messages with buttons, rules' auto-replies; all marked
automatic, delivered through the outbox, never a first response, never twice per opening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialdesk.analytics.frt import first_response_by_account
from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.errors import InvalidInput
from socialdesk.pipeline.routing import RoutingContext, RuleOutcome
from socialdesk.services.accounts import create_user
from socialdesk.services.assignment import set_availability
from socialdesk.services.autoreply import (
    autoreply_step,
    expected_wait,
    format_opening,
    format_wait,
    save_settings,
)
from socialdesk.services.conversations import update_conversation
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Contact, Conversation, Message, SandboxDelivery

MADRID_WEEKDAYS = {
    "timezone": "Europe/Madrid",
    "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "ES",
}
SATURDAY_NOON = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # Madrid is UTC+1 in March
TUESDAY_NOON = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)


@dataclass
class Desk:
    app: App
    workspace_id: int
    account_id: int

    def writes(self, handle: str, text: str = "hello", kind: str = "dm") -> tuple[int, int]:
        """Ingest a customer's message (routing steps off); (conversation id, message id)."""
        with self.app.db.session() as s:
            injected = inject(
                s,
                self.workspace_id,
                self.account_id,
                kind=kind,
                customer=SandboxCustomer(id=f"id-{handle}", handle=handle, name=handle.title()),
                text=text,
            )
        self.app.run_jobs_until_idle()
        with self.app.db.read_session() as s:
            row = s.execute(
                select(Message.conversation_id, Message.id).where(
                    Message.platform_message_id == injected.message_id
                )
            ).one()
        return row[0], row[1]

    def route(
        self,
        conv_id: int,
        message_id: int,
        now: datetime,
        *,
        new: bool = True,
        outcome: RuleOutcome | None = None,
    ) -> None:
        with self.app.db.session() as s:
            autoreply_step(
                RoutingContext(
                    session=s,
                    workspace_id=self.workspace_id,
                    now=now,
                    message_ids=[message_id],
                    conversation_ids=[conv_id],
                    new_conversation_ids={conv_id} if new else set(),
                    outcomes={conv_id: outcome} if outcome else {},
                )
            )

    def auto_messages(self, conv_id: int | None = None) -> list[Message]:
        with self.app.db.read_session() as s:
            query = select(Message).where(Message.direction == "out").order_by(Message.id)
            if conv_id is not None:
                query = query.where(Message.conversation_id == conv_id)
            return list(s.scalars(query))

    def settings(self, **values: Any) -> None:
        with self.app.db.session() as s:
            save_settings(s, self.workspace_id, **values)


@pytest.fixture
def desk(app: App) -> Desk:
    app.routing_steps.clear()  # steps are called by hand with a chosen "now"
    with app.db.session() as s:
        ws = get_or_create_workspace(s, "acme").id
        account = create_sandbox_account(s, ws, name="Acme", handle="acmecare").id
    return Desk(app, ws, account)


def test_out_of_hours_acknowledgement_names_the_next_opening(desk: Desk) -> None:
    desk.settings(business_hours=MADRID_WEEKDAYS)
    conv_id, message_id = desk.writes("maria", "my router is dead")
    desk.route(conv_id, message_id, SATURDAY_NOON)

    [ack] = desk.auto_messages(conv_id)
    assert ack.is_auto and ack.author_kind == "system"
    assert ack.visibility == "private"
    assert "Hi Maria" in ack.text
    assert "on Monday 9 March at 09:00 (Europe/Madrid)" in ack.text
    # Through the outbox like any reply: delivered by the worker.
    desk.app.run_jobs_until_idle()
    with desk.app.db.read_session() as s:
        assert s.scalars(select(SandboxDelivery.text)).all() == [ack.text]
        conv = s.get_one(Conversation, conv_id)
        assert conv.first_response_at is None
        [frt] = first_response_by_account(s, desk.workspace_id)
        assert (frt.conversations, frt.responded) == (1, 0)

    # The customer writes again in the same opening: no second acknowledgement.
    conv_again, second = desk.writes("maria", "hello??")
    assert conv_again == conv_id
    desk.route(conv_id, second, SATURDAY_NOON + timedelta(minutes=5), new=False)
    assert len(desk.auto_messages(conv_id)) == 1


def test_a_new_opening_gets_a_new_acknowledgement(desk: Desk) -> None:
    desk.settings(business_hours=MADRID_WEEKDAYS)
    conv_id, message_id = desk.writes("maria")
    desk.route(conv_id, message_id, SATURDAY_NOON)
    with desk.app.db.session() as s:
        update_conversation(
            s, desk.workspace_id, conv_id, Actor.system(), status="resolved", at=SATURDAY_NOON
        )
    later, later_message = desk.writes("maria", "it broke again")
    desk.route(later, later_message, SATURDAY_NOON + timedelta(hours=2), new=later != conv_id)
    assert [m.is_auto for m in desk.auto_messages()] == [True, True]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 9, 6, 0, tzinfo=UTC), "today at 09:00 (Europe/Madrid)"),
        (datetime(2026, 3, 9, 17, 30, tzinfo=UTC), "tomorrow at 09:00 (Europe/Madrid)"),
        (datetime(2026, 3, 6, 16, 30, tzinfo=UTC), "on Monday 9 March at 09:00"),
        # New Year's Day (a Thursday) is a public holiday in Spain: Friday 2 January.
        (datetime(2025, 12, 31, 18, 0, tzinfo=UTC), "on Friday 2 January at 09:00"),
        # Across the change to summer time (29 March): 09:00 local is 07:00 UTC.
        (datetime(2026, 3, 27, 17, 0, tzinfo=UTC), "on Monday 30 March at 09:00"),
    ],
)
def test_next_opening_text(now: datetime, expected: str) -> None:
    calendar = BusinessCalendar.weekly(
        "Europe/Madrid",
        {d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")},
        holiday_country="ES",
        years=[2025, 2026],
    )
    assert not calendar.is_open(now)
    assert expected in format_opening(calendar.next_open(now), calendar, now)


def test_welcome_with_quick_replies_for_new_private_conversations_only(desk: Desk) -> None:
    desk.settings(
        business_hours=MADRID_WEEKDAYS,
        welcome_enabled=True,
        welcome_text="Welcome {{contact.name}}! Pick one:",
        welcome_buttons=["Billing", "Outage"],
    )
    dm_conv, dm = desk.writes("lena", kind="dm")
    post_conv, post = desk.writes("omar", kind="post")
    desk.route(dm_conv, dm, TUESDAY_NOON)
    desk.route(post_conv, post, TUESDAY_NOON)
    [welcome] = desk.auto_messages(dm_conv)
    assert welcome.text == "Welcome Lena! Pick one:"
    assert {"type": "quick_replies", "options": ["Billing", "Outage"]} in welcome.attachments
    assert desk.auto_messages(post_conv) == []  # in hours, no in-hours ack configured


def test_in_hours_acknowledgement_states_the_expected_wait(desk: Desk) -> None:
    desk.settings(
        business_hours=MADRID_WEEKDAYS,
        in_hours_enabled=True,
        in_hours_text="We'll be with you in {{expected_wait}}.",
        public_posts=True,  # the customer below posts publicly
    )
    with desk.app.db.session() as s:
        agent = create_user(s, desk.workspace_id, email="ana@acme.test", name="Ana")
        set_availability(s, desk.workspace_id, agent.id, "online", Actor.system())
    # Two customers waited longer; answered history gives a median FRT of 10 minutes.
    for i in range(2):
        _conversation(desk, at=TUESDAY_NOON - timedelta(minutes=30 - i))
    for minutes in (5, 10, 30):
        _conversation(
            desk,
            at=TUESDAY_NOON - timedelta(hours=3),
            answered_after=timedelta(minutes=minutes),
        )
    conv_id, message_id = desk.writes("pat", kind="post")
    with desk.app.db.session() as s:  # the message is "now" for the queue
        conv = s.get_one(Conversation, conv_id)
        conv.first_inbound_at = TUESDAY_NOON
        assert expected_wait(s, conv, TUESDAY_NOON) == timedelta(minutes=30)  # 10 x 3 / 1
    desk.route(conv_id, message_id, TUESDAY_NOON)
    [ack] = desk.auto_messages(conv_id)
    assert ack.text == "We'll be with you in about 30 minutes."
    assert ack.visibility == "public"


def test_public_posts_are_acknowledged_only_when_chosen(desk: Desk) -> None:
    desk.settings(business_hours=MADRID_WEEKDAYS)  # out of hours on Saturday
    post_conv, post = desk.writes("paula", "is the network down?", kind="post")
    dm_conv, dm = desk.writes("dmitri", "is the network down?", kind="dm")
    desk.route(post_conv, post, SATURDAY_NOON)
    desk.route(dm_conv, dm, SATURDAY_NOON)
    assert desk.auto_messages(post_conv) == []  # no automatic public reply by default
    [private_ack] = desk.auto_messages(dm_conv)
    assert private_ack.visibility == "private"

    desk.settings(public_posts=True)
    later_conv, later = desk.writes("quinn", "still down", kind="post")
    desk.route(later_conv, later, SATURDAY_NOON)
    [public_ack] = desk.auto_messages(later_conv)
    assert public_ack.visibility == "public" and public_ack.is_auto


def test_rule_auto_reply_is_sent_once_and_spam_gets_nothing(desk: Desk) -> None:
    conv_id, message_id = desk.writes("rick", "refund please", kind="post")
    outcome = RuleOutcome(auto_reply="Hi {{contact.name}}, refunds take 5 days.")
    desk.route(conv_id, message_id, TUESDAY_NOON, outcome=outcome)
    desk.route(conv_id, message_id, TUESDAY_NOON, outcome=outcome)
    [sent] = desk.auto_messages(conv_id)
    assert sent.text == "Hi Rick, refunds take 5 days." and sent.is_auto
    # An agent's answer afterwards is the first response.
    with desk.app.db.session() as s:
        reply(s, desk.workspace_id, conv_id, Actor.agent(None), text="on it", visibility="public")
    with desk.app.db.read_session() as s:
        assert s.get_one(Conversation, conv_id).first_response_at is not None

    desk.settings(business_hours=MADRID_WEEKDAYS)
    spam_conv, spam = desk.writes("bot", "buy followers", kind="dm")
    desk.route(spam_conv, spam, SATURDAY_NOON, outcome=RuleOutcome(spam=True, auto_reply="x"))
    assert desk.auto_messages(spam_conv) == []


def test_through_the_pipeline_with_the_registered_steps(app: App) -> None:
    with app.db.session() as s:
        ws = get_or_create_workspace(s, "live").id
        account = create_sandbox_account(s, ws, name="Live", handle="livecare").id
        every_day = {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        }
        save_settings(
            s, ws, welcome_enabled=True, business_hours={"timezone": "UTC", "hours": every_day}
        )
    desk = Desk(app, ws, account)
    conv_id, _ = desk.writes("nina", kind="dm")
    [welcome] = desk.auto_messages(conv_id)
    assert welcome.is_auto and "Nina" in welcome.text
    assert welcome.attachments[0]["type"] == "quick_replies"


def test_bad_settings_are_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        desk.settings(
            business_hours={"timezone": "Mars/Base", "hours": {"mon": [["09:00", "17:00"]]}}
        )
    with pytest.raises(InvalidInput, match="at most 20"):
        desk.settings(welcome_buttons=["x" * 21])
    with pytest.raises(InvalidInput, match="unknown"):
        desk.settings(colour="blue")


def test_wait_texts() -> None:
    assert format_wait(timedelta(seconds=20)) == "about 5 minutes"
    assert format_wait(timedelta(minutes=41)) == "about 45 minutes"
    assert format_wait(timedelta(minutes=130)) == "about 2.5 hours"


def _conversation(desk: Desk, *, at: datetime, answered_after: timedelta | None = None) -> None:
    with desk.app.db.session() as s:
        contact = Contact(workspace_id=desk.workspace_id, name="c", search_text="c")
        s.add(contact)
        s.flush()
        s.add(
            Conversation(
                workspace_id=desk.workspace_id,
                channel_account_id=desk.account_id,
                contact_id=contact.id,
                has_public=True,
                first_inbound_at=at,
                last_inbound_at=at,
                last_message_at=at,
                first_response_at=at + answered_after if answered_after else None,
                status="resolved" if answered_after else "open",
            )
        )
