"""Watermark receipts (Messenger's reads, and deliveries without ids) on the store, SQLite and
PostgreSQL: every private message the account sent the person up to the watermark moves
forward, in one UPDATE, with a delivery event each; nothing else moves, and nothing moves back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from socialdesk.bootstrap import App
from socialdesk.channels.base import DeliveryReceipt
from socialdesk.domain.types import DeliveryState, Direction, EventType, Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.pipeline.receipts import apply_receipts
from socialdesk.services.contacts import merge_contacts
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.workspaces import ensure_accounts, get_or_create_workspace
from socialdesk.store.models import Conversation, Event, Message

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DANA = "6784512390153527"  # Dana's PSID
OMAR = "6784512390159999"
COMMENTER = "5872619349492613"  # Dana's comment's from.id (not promised to be her PSID)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Desk:
    """The acme workspace with two Pages; Dana and Omar wrote to the first, Dana to both."""

    app: App
    workspace_id: int
    page: int
    other_page: int

    def conversation(self, account_id: int, person: str) -> int:
        with self.app.db.read_session() as session:
            conversation_id = session.scalar(
                select(Message.conversation_id).where(
                    Message.channel_account_id == account_id,
                    Message.author_external_id == person,
                )
            )
            assert conversation_id is not None
            return conversation_id

    def sent(
        self,
        minutes: float,
        *,
        state: DeliveryState = DeliveryState.SENT,
        to: str = DANA,
        visibility: Visibility = Visibility.PRIVATE,
        account_id: int | None = None,
    ) -> int:
        """A reply written at T0 + ``minutes``, then recorded by the worker in ``state``."""
        conversation_id = self.conversation(account_id or self.page, to)
        with self.app.db.session() as session:
            message = reply(
                session,
                self.workspace_id,
                conversation_id,
                Actor.agent(None),
                text=f"reply at {minutes}",
                visibility=visibility.value,
                at=at(minutes),
            )
            if state != DeliveryState.QUEUED:
                message.platform_message_id = f"m_{message.id}"
            message.delivery_state = state.value
            return message.id

    def apply(self, *receipts: DeliveryReceipt, account_id: int | None = None) -> list[Any]:
        with self.app.db.session() as session:
            return apply_receipts(session, account_id or self.page, receipts)

    def states(self, *message_ids: int) -> list[str]:
        with self.app.db.read_session() as session:
            rows = dict(
                session.execute(
                    select(Message.id, Message.delivery_state).where(Message.id.in_(message_ids))
                ).all()
            )
        return [rows[i] for i in message_ids]

    def receipt_events(self) -> list[tuple[int | None, str]]:
        with self.app.db.read_session() as session:
            events = session.scalars(
                select(Event)
                .where(Event.type == EventType.MESSAGE_DELIVERY.value)
                .order_by(Event.id)
            ).all()
        return [
            (e.message_id, e.data["state"]) for e in events if e.data.get("source") == "receipt"
        ]


def _inbound(account_id: int, person: str, mid: str, *, public: bool = False) -> InboundEvent:
    return InboundEvent(
        platform="facebook",
        platform_message_id=mid,
        author=Author(external_id=person),
        text="my fibre is down",
        platform_time=T0,
        visibility=Visibility.PUBLIC if public else Visibility.PRIVATE,
        channel_account_id=account_id,
        reply_to_platform_id="448242228374517_1" if public else None,
    )


@pytest.fixture
def desk(app: App) -> Desk:
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "acme").id
        ids = ensure_accounts(session, workspace_id, "facebook", ["acme", "acme-outlet"])
        page, other_page = ids["acme"], ids["acme-outlet"]
        ingest_batch(
            session,
            workspace_id,
            [
                _inbound(page, DANA, "m_dana_1"),
                _inbound(page, DANA, "c_dana_1", public=True),
                _inbound(page, OMAR, "m_omar_1"),
                _inbound(other_page, DANA, "m_dana_outlet"),
            ],
        )
    return Desk(app, workspace_id, page, other_page)


def read(person: str, minutes: float, *, seen: float | None = None) -> DeliveryReceipt:
    when = at(seen if seen is not None else minutes)
    return DeliveryReceipt(
        None, DeliveryState.READ, when, recipient_external_id=person, up_to=at(minutes)
    )


def delivered(person: str, minutes: float) -> DeliveryReceipt:
    return DeliveryReceipt(
        None, DeliveryState.DELIVERED, at(minutes), recipient_external_id=person, up_to=at(minutes)
    )


def test_a_read_watermark_reads_every_message_sent_up_to_it_and_no_later_one(desk: Desk) -> None:
    first = desk.sent(1)
    second = desk.sent(2, state=DeliveryState.DELIVERED)
    later = desk.sent(3)

    unmatched = desk.apply(read(DANA, 2, seen=2.5))

    assert unmatched == []
    assert desk.states(first, second, later) == ["read", "read", "sent"]
    assert desk.receipt_events() == [(first, "read"), (second, "read")]
    with desk.app.db.read_session() as session:
        event_ = session.scalar(
            select(Event).where(
                Event.message_id == first, Event.type == EventType.MESSAGE_DELIVERY.value
            )
        )
        assert event_ is not None
        assert event_.occurred_at == at(2.5)  # when Meta saw the read, not the watermark
        assert event_.actor_kind == "system"
        assert event_.conversation_id == desk.conversation(desk.page, DANA)
        assert event_.data == {
            "state": "read",
            "error": None,
            "platform_message_id": f"m_{first}",
            "source": "receipt",
            "watermark": at(2).isoformat(),
        }


def test_a_delivery_watermark_delivers_and_then_a_read_one_reads(desk: Desk) -> None:
    first = desk.sent(1)
    second = desk.sent(2)

    desk.apply(delivered(DANA, 2))
    assert desk.states(first, second) == ["delivered", "delivered"]
    desk.apply(read(DANA, 1))
    assert desk.states(first, second) == ["read", "delivered"]


def test_a_watermark_moves_only_what_it_covers(desk: Desk) -> None:
    failed = desk.sent(1, state=DeliveryState.FAILED)
    queued = desk.sent(1, state=DeliveryState.QUEUED)  # not left yet (or not recorded yet)
    public = desk.sent(1, visibility=Visibility.PUBLIC)  # answers her comment, not the chat
    to_omar = desk.sent(1, to=OMAR)
    other_page = desk.sent(1, account_id=desk.other_page)
    mine = desk.sent(1)

    desk.apply(read(DANA, 5))

    assert desk.states(failed, queued, public, to_omar, other_page, mine) == [
        "failed",
        "queued",
        "sent",
        "sent",
        "sent",
        "read",
    ]
    with desk.app.db.read_session() as session:
        inbound = session.scalars(
            select(Message.delivery_state).where(Message.direction == Direction.IN.value)
        ).all()
    assert set(inbound) == {"received"}


def test_a_receipt_that_arrives_twice_or_out_of_order_changes_nothing(desk: Desk) -> None:
    first = desk.sent(1)
    second = desk.sent(2)
    desk.apply(read(DANA, 2))
    before = desk.receipt_events()

    desk.apply(read(DANA, 2))  # Meta delivers again
    desk.apply(delivered(DANA, 2))  # the delivery arrives after the read
    desk.apply(read(DANA, 1))  # an older read arrives last

    assert desk.states(first, second) == ["read", "read"]
    assert desk.receipt_events() == before == [(first, "read"), (second, "read")]


def test_a_watermark_that_matches_nothing_is_not_waited_for(desk: Desk) -> None:
    desk.sent(1)

    assert desk.apply(read("9999999999", 5)) == []  # nobody we know
    assert desk.apply(read(OMAR, 5)) == []  # we never wrote to Omar
    assert desk.apply(read(DANA, 0.5)) == []  # before our first message
    assert desk.receipt_events() == []


def test_a_private_reply_to_a_comment_is_read_once_the_psid_is_the_commenters(
    desk: Desk,
) -> None:
    with desk.app.db.session() as session:
        comment = _inbound(desk.page, COMMENTER, "c_commenter", public=True)
        ingest_batch(session, desk.workspace_id, [comment])
    private_reply = desk.sent(1, to=COMMENTER)
    desk.apply(read(DANA, 5))
    assert desk.states(private_reply) == ["sent"]  # not known to be the same person yet

    with desk.app.db.session() as session:  # an agent merges them: identities move over
        contact_of = {
            person: session.scalar(
                select(Conversation.contact_id).where(
                    Conversation.id == desk.conversation(desk.page, person)
                )
            )
            for person in (COMMENTER, DANA)
        }
        merge_contacts(
            session, desk.workspace_id, contact_of[COMMENTER], contact_of[DANA], Actor.system()
        )
    desk.apply(read(DANA, 5))

    assert desk.states(private_reply) == ["read"]


def test_per_id_and_watermark_receipts_of_one_batch_agree(desk: Desk) -> None:
    first = desk.sent(1)
    second = desk.sent(2)
    by_id = DeliveryReceipt(f"m_{first}", DeliveryState.DELIVERED, at(2))

    desk.apply(by_id, read(DANA, 1), DeliveryReceipt(f"m_{second}", DeliveryState.READ, at(3)))
    assert desk.states(first, second) == ["read", "read"]
    # The other order: the per-id "delivered" after the watermark read changes nothing.
    third = desk.sent(3)
    desk.apply(read(DANA, 3), DeliveryReceipt(f"m_{third}", DeliveryState.DELIVERED, at(4)))
    assert desk.states(third) == ["read"]
    assert desk.receipt_events() == [
        (first, "delivered"),
        (first, "read"),
        (second, "read"),
        (third, "read"),
    ]


@pytest.fixture
def statements(desk: Desk) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(desk.app.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(desk.app.db.engine, "before_cursor_execute", record)


def test_a_watermark_is_one_update_however_long_the_history(
    desk: Desk, statements: list[str]
) -> None:
    ids = [desk.sent(minute) for minute in range(1, 31)]
    statements.clear()

    desk.apply(read(DANA, 30))
    on_messages = [s for s in statements if "messages" in s and "INSERT INTO events" not in s]

    assert [s.split()[0].upper() for s in on_messages] == ["UPDATE"]
    assert desk.states(*ids) == ["read"] * 30
    assert len(desk.receipt_events()) == 30
