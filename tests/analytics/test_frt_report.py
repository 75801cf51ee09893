"""First response time per account (analytics/frt.py), as design.md defines it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from socialdesk.analytics.frt import AccountFrt, first_response_by_account
from socialdesk.bootstrap import App
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility
from socialdesk.services.workspaces import ensure_accounts, get_or_create_workspace
from socialdesk.store.models import Contact, Conversation, Message

T0 = datetime(2017, 11, 2, 8, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass
class ConversationFactory:
    """Writes one conversation and its messages; times are minutes after :data:`T0`."""

    app: App
    workspace_id: int
    account_id: int
    conversation_id: int

    def inbound(self, minutes: float) -> ConversationFactory:
        return self._message(minutes, Direction.IN, AuthorKind.CONTACT)

    def reply(
        self, minutes: float, *, author: AuthorKind = AuthorKind.AGENT, is_auto: bool = False
    ) -> ConversationFactory:
        return self._message(minutes, Direction.OUT, author, is_auto=is_auto)

    def _message(
        self, minutes: float, direction: Direction, author: AuthorKind, *, is_auto: bool = False
    ) -> ConversationFactory:
        at = T0 + timedelta(minutes=minutes)
        with self.app.db.session() as session:
            conversation = session.get(Conversation, self.conversation_id)
            assert conversation is not None
            session.add(
                Message(
                    workspace_id=self.workspace_id,
                    platform="twitter",
                    channel_account_id=self.account_id,
                    conversation_id=self.conversation_id,
                    contact_id=conversation.contact_id,
                    direction=direction.value,
                    visibility=Visibility.PUBLIC.value,
                    platform_message_id=f"m{next(_numbers)}",
                    author_kind=author.value,
                    text="…",
                    is_auto=is_auto,
                    platform_time=at,
                    delivery_state=(
                        DeliveryState.RECEIVED if direction == Direction.IN else DeliveryState.SENT
                    ).value,
                )
            )
            conversation.message_count += 1
            conversation.last_message_at = max(conversation.last_message_at, at)
        return self


@dataclass
class Brands:
    """A workspace with brand accounts on which conversations are written."""

    app: App
    workspace_id: int
    account_ids: dict[str, int]

    @classmethod
    def create(cls, app: App, slug: str = "frt", handles: tuple[str, ...] = ("acme",)) -> Brands:
        with app.db.session() as session:
            ws = get_or_create_workspace(session, slug)
            return cls(app, ws.id, ensure_accounts(session, ws.id, "twitter", handles))

    def conversation(self, account: str = "acme") -> ConversationFactory:
        with self.app.db.session() as session:
            contact = Contact(workspace_id=self.workspace_id, name=f"customer {next(_numbers)}")
            session.add(contact)
            session.flush()
            conversation = Conversation(
                workspace_id=self.workspace_id,
                channel_account_id=self.account_ids[account],
                contact_id=contact.id,
                last_message_at=T0 - timedelta(days=1),
            )
            session.add(conversation)
            session.flush()
            return ConversationFactory(
                self.app, self.workspace_id, self.account_ids[account], conversation.id
            )

    def report(self, **filters: datetime) -> dict[str, AccountFrt]:
        with self.app.db.read_session() as session:
            rows = first_response_by_account(session, self.workspace_id, **filters)
        return {row.handle: row for row in rows}


@pytest.fixture
def brands(app: App) -> Brands:
    return Brands.create(app, handles=("acme", "globex"))


def test_frt_runs_from_first_inbound_to_first_agent_reply(brands: Brands) -> None:
    brands.conversation().inbound(0).inbound(2).reply(5).inbound(6).reply(9)
    acme = brands.report()["acme"]
    assert (acme.conversations, acme.responded) == (1, 1)
    assert acme.median_first_response_seconds == 300.0


def test_reply_at_the_same_instant_as_the_first_inbound_counts_with_zero_wait(
    brands: Brands,
) -> None:
    brands.conversation().inbound(0).reply(0)
    acme = brands.report()["acme"]
    assert (acme.responded, acme.median_first_response_seconds) == (1, 0.0)


def test_outbound_messages_before_the_first_inbound_are_ignored(brands: Brands) -> None:
    brands.conversation().reply(-10).inbound(0).reply(4)
    assert brands.report()["acme"].median_first_response_seconds == 240.0


def test_auto_replies_do_not_count_as_a_response(brands: Brands) -> None:
    brands.conversation().inbound(0).reply(0.1, is_auto=True).reply(7)
    assert brands.report()["acme"].median_first_response_seconds == 420.0


@pytest.mark.parametrize("author", [AuthorKind.BOT, AuthorKind.SYSTEM])
def test_bot_and_system_replies_do_not_count_as_a_response(
    brands: Brands, author: AuthorKind
) -> None:
    brands.conversation().inbound(0).reply(1, author=author).reply(6)
    assert brands.report()["acme"].median_first_response_seconds == 360.0


def test_conversation_with_only_automated_replies_is_not_responded(brands: Brands) -> None:
    brands.conversation().inbound(0).reply(1, author=AuthorKind.BOT).reply(2, is_auto=True)
    acme = brands.report()["acme"]
    assert (acme.conversations, acme.responded, acme.median_first_response_seconds) == (
        1,
        0,
        None,
    )


def test_unanswered_conversation_counts_as_not_responded_with_null_median(
    brands: Brands,
) -> None:
    brands.conversation().inbound(0)
    acme = brands.report()["acme"]
    assert acme.as_dict() == {
        "conversations": 1,
        "responded": 0,
        "median_first_response_seconds": None,
    }


def test_median_is_taken_over_answered_conversations_only(brands: Brands) -> None:
    for minutes in (1, 2, 10):
        brands.conversation().inbound(0).reply(minutes)
    brands.conversation().inbound(0)
    acme = brands.report()["acme"]
    assert (acme.conversations, acme.responded) == (4, 3)
    assert acme.median_first_response_seconds == 120.0


def test_each_account_reports_its_own_conversations(brands: Brands) -> None:
    brands.conversation("acme").inbound(0).reply(1)
    brands.conversation("globex").inbound(0).reply(3)
    report = brands.report()
    assert report["acme"].median_first_response_seconds == 60.0
    assert report["globex"].median_first_response_seconds == 180.0


def test_account_without_conversations_is_listed_with_zero_conversations(
    brands: Brands,
) -> None:
    brands.conversation("acme").inbound(0).reply(1)
    globex = brands.report()["globex"]
    assert (globex.conversations, globex.responded, globex.median_first_response_seconds) == (
        0,
        0,
        None,
    )


def test_other_workspaces_are_not_counted(app: App, brands: Brands) -> None:
    other = Brands.create(app, slug="other", handles=("acme",))
    other.conversation().inbound(0).reply(30)
    brands.conversation().inbound(0).reply(1)
    acme = brands.report()["acme"]
    assert (acme.conversations, acme.median_first_response_seconds) == (1, 60.0)


def test_since_and_until_select_conversations_by_their_first_inbound(brands: Brands) -> None:
    brands.conversation().inbound(0).reply(1)
    brands.conversation().inbound(60).reply(63)
    brands.conversation().inbound(120).reply(125)
    acme = brands.report(since=T0 + timedelta(minutes=60), until=T0 + timedelta(minutes=120))[
        "acme"
    ]
    assert (acme.conversations, acme.median_first_response_seconds) == (1, 180.0)
