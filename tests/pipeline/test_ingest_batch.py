"""Steps 3-8 of the ingest path (pipeline/ingest.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

import pytest
from ingest_factories import T0, Desk
from sqlalchemy import update

from socialdesk.bootstrap import App
from socialdesk.domain.types import ConversationStatus, EventType
from socialdesk.store.models import Contact, ContactIdentity, Conversation, Message

DAY = timedelta(hours=24)


@pytest.fixture
def desk(app: App) -> Desk:
    return Desk.create(app)


def resolve(desk: Desk, conversation_id: int) -> None:
    """An agent resolved the conversation (as the services layer would store it)."""
    with desk.app.db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status=ConversationStatus.RESOLVED.value, resolved_at=T0)
        )


# -- dedupe -------------------------------------------------------------------------------------
def test_same_event_twice_in_one_batch_is_stored_once(desk: Desk) -> None:
    post = desk.events.inbound()
    result = desk.ingest([post, dataclasses.replace(post)])
    assert (result.stored, result.duplicates) == (1, 1)
    assert desk.count(Message) == 1
    assert desk.count(Conversation) == 1


def test_redelivered_events_in_a_later_batch_change_nothing(desk: Desk) -> None:
    post = desk.events.inbound(followers=10)
    answer = desk.events.outbound(minutes=5, reply_to=post)
    desk.ingest([post, answer])
    before = desk.row_counts()
    conversation_before = desk.conversation_of(post)

    result = desk.ingest([dataclasses.replace(post), dataclasses.replace(answer)])

    assert (result.stored, result.duplicates) == (0, 2)
    assert result.new_conversation_ids == [] and result.updated_conversation_ids == []
    assert desk.row_counts() == before
    conversation_after = desk.conversation_of(post)
    assert conversation_after is not None and conversation_before is not None
    assert conversation_after.message_count == conversation_before.message_count == 2


# -- threading --------------------------------------------------------------------------------
@pytest.mark.parametrize("batches", ["one batch", "two batches"])
def test_public_post_then_dm_from_same_contact_make_one_conversation(
    desk: Desk, batches: str
) -> None:
    post = desk.events.inbound("alice", minutes=0)
    dm = desk.events.inbound("alice", minutes=3, private=True)
    if batches == "one batch":
        desk.ingest([post, dm])
    else:
        desk.ingest([post])
        desk.ingest([dm])

    [conversation] = desk.conversations()
    assert conversation.has_public and conversation.has_private
    assert conversation.message_count == 2
    assert desk.conversation_id(dm) == conversation.id


def test_reply_whose_clock_reads_earlier_than_its_parent_joins_the_parents_conversation(
    desk: Desk,
) -> None:
    post = desk.events.inbound("alice", minutes=10)
    brand_reply = desk.events.outbound(minutes=8, reply_to=post)  # the brand's clock is behind
    follow_up = desk.events.inbound("alice", minutes=9, reply_to=brand_reply)

    desk.ingest([follow_up, brand_reply, post])

    [conversation] = desk.conversations()
    assert {desk.conversation_id(e) for e in (post, brand_reply, follow_up)} == {conversation.id}
    assert conversation.message_count == 3


def test_customer_replying_under_another_customers_thread_opens_their_own_conversation(
    desk: Desk,
) -> None:
    alice_post = desk.events.inbound("alice", minutes=0)
    brand_reply = desk.events.outbound(minutes=5, reply_to=alice_post)
    bob_reply = desk.events.inbound("bob", minutes=7, reply_to=brand_reply)

    desk.ingest([alice_post, brand_reply, bob_reply])

    alice_conversation = desk.conversation_of(alice_post)
    bob_conversation = desk.conversation_of(bob_reply)
    assert alice_conversation is not None and bob_conversation is not None
    assert bob_conversation.id != alice_conversation.id
    assert bob_conversation.contact_id == desk.identity("bob").contact_id
    assert alice_conversation.message_count == 2
    assert desk.message(bob_reply).reply_to_platform_id == brand_reply.platform_message_id


def test_reply_under_another_customers_thread_does_not_join_own_open_conversation(
    desk: Desk,
) -> None:
    bob_post = desk.events.inbound("bob", minutes=0)
    alice_post = desk.events.inbound("alice", minutes=1)
    bob_reply = desk.events.inbound("bob", minutes=2, reply_to=alice_post)

    desk.ingest([bob_post, alice_post, bob_reply])

    assert len(desk.partition()) == 3
    assert desk.conversation_id(bob_reply) != desk.conversation_id(bob_post)


def test_reply_to_own_resolved_conversation_reopens_it(desk: Desk) -> None:
    post = desk.events.inbound("alice", minutes=0)
    brand_reply = desk.events.outbound(minutes=5, reply_to=post)
    desk.ingest([post, brand_reply])
    conversation = desk.conversation_of(post)
    assert conversation is not None
    resolve(desk, conversation.id)

    desk.ingest([desk.events.inbound("alice", minutes=60, reply_to=brand_reply)])

    [reopened] = desk.conversations()
    assert reopened.id == conversation.id
    assert reopened.status == ConversationStatus.OPEN
    [change] = desk.events_of(EventType.STATUS_CHANGED.value)
    assert change.data["to"] == "open" and change.conversation_id == conversation.id


def test_fresh_message_after_resolved_conversation_opens_a_new_one(desk: Desk) -> None:
    post = desk.events.inbound("alice", minutes=0)
    desk.ingest([post])
    first = desk.conversation_of(post)
    assert first is not None
    resolve(desk, first.id)

    fresh = desk.events.inbound("alice", minutes=60)
    desk.ingest([fresh])

    second = desk.conversation_of(fresh)
    assert second is not None and second.id != first.id


def test_fresh_message_joins_the_open_conversation_with_the_same_account(desk: Desk) -> None:
    post = desk.events.inbound("alice", minutes=0)
    fresh = desk.events.inbound("alice", minutes=60)
    elsewhere = desk.events.inbound("alice", minutes=61, account="globex")
    desk.ingest([post])
    desk.ingest([fresh, elsewhere])

    assert desk.partition() == {
        frozenset({post.platform_message_id, fresh.platform_message_id}),
        frozenset({elsewhere.platform_message_id}),
    }


def test_outbound_reply_joins_its_parents_conversation_and_a_post_joins_none(desk: Desk) -> None:
    post = desk.events.inbound("alice", minutes=0)
    answer = desk.events.outbound(minutes=2, reply_to=post)
    broadcast = desk.events.outbound(minutes=3)
    result = desk.ingest([post, answer, broadcast])

    assert desk.conversation_id(answer) == desk.conversation_id(post) is not None
    assert desk.conversation_id(broadcast) is None
    assert result.stored_without_conversation == 1


@pytest.mark.parametrize(("gap_hours", "conversations"), [(25, 2), (23, 1)])
def test_resolve_after_opens_a_new_conversation_once_idle(
    desk: Desk, gap_hours: int, conversations: int
) -> None:
    post = desk.events.inbound("alice", minutes=0)
    fresh = desk.events.inbound("alice", minutes=gap_hours * 60)
    desk.ingest([post, fresh], resolve_after=DAY)

    assert len(desk.partition()) == conversations
    first = desk.conversation_of(post)
    assert first is not None
    if conversations == 2:
        assert first.status == ConversationStatus.RESOLVED
        assert first.resolved_at == T0 + DAY


# -- what is written ------------------------------------------------------------------------
def test_each_message_writes_one_message_event_and_each_new_conversation_an_opened_event(
    desk: Desk,
) -> None:
    alice_post = desk.events.inbound("alice", minutes=0)
    answer = desk.events.outbound(minutes=1, reply_to=alice_post)
    alice_dm = desk.events.inbound("alice", minutes=2, private=True)
    bob_post = desk.events.inbound("bob", minutes=3)
    desk.ingest([alice_post, answer, alice_dm, bob_post])

    inbound_ids = {desk.message(e).id for e in (alice_post, alice_dm, bob_post)}
    message_in = desk.events_of(EventType.MESSAGE_IN.value)
    assert Counter(e.message_id for e in message_in) == Counter(inbound_ids)  # one each
    [message_out] = desk.events_of(EventType.MESSAGE_OUT.value)
    assert message_out.message_id == desk.message(answer).id
    opened = desk.events_of(EventType.CONVERSATION_OPENED.value)
    assert Counter(e.conversation_id for e in opened) == Counter(c.id for c in desk.conversations())
    for event in message_in:
        assert event.conversation_id is not None


def test_later_event_updates_the_contacts_follower_count(desk: Desk) -> None:
    desk.ingest([desk.events.inbound("alice", minutes=0, followers=10)])
    desk.ingest([desk.events.inbound("alice", minutes=5, followers=250)])

    assert desk.identity("alice").followers == 250
    assert desk.count(Contact) == 1
    assert desk.count(ContactIdentity) == 1


def test_event_for_no_known_account_is_stored_without_conversation(desk: Desk) -> None:
    mention = desk.events.inbound("alice", account=None)
    result = desk.ingest([mention])

    assert result.stored == 1
    assert result.stored_without_conversation == 1
    assert desk.conversation_id(mention) is None
    assert desk.count(Conversation) == 0


# -- known bugs ---------------------------------------------------------------------------------
def test_same_platform_id_on_two_accounts_in_separate_batches_is_stored_for_each(
    desk: Desk,
) -> None:
    to_acme = desk.events.inbound("alice", account="acme", message_id="777")
    to_globex = dataclasses.replace(to_acme, channel_account_id=desk.events.account_ids["globex"])
    desk.ingest([to_acme])
    desk.ingest([to_globex])

    assert desk.count(Message) == 2
    assert desk.count(Conversation) == 2


def test_same_platform_id_on_two_accounts_in_one_batch_is_stored_for_each(desk: Desk) -> None:
    to_acme = desk.events.inbound("alice", account="acme", message_id="777")
    to_globex = dataclasses.replace(to_acme, channel_account_id=desk.events.account_ids["globex"])
    result = desk.ingest([to_acme, to_globex])

    assert result.stored + result.duplicates == result.received
    assert desk.count(Message) == 2
    assert desk.count(Conversation) == 2


def test_brand_reply_after_idle_period_does_not_keep_the_conversation_open(desk: Desk) -> None:
    post = desk.events.inbound("alice", minutes=0)
    late_answer = desk.events.outbound(minutes=30 * 60, reply_to=post)
    fresh = desk.events.inbound("alice", minutes=31 * 60)
    desk.ingest([post, late_answer, fresh], resolve_after=DAY)

    assert desk.conversation_id(late_answer) == desk.conversation_id(post)
    assert desk.conversation_id(fresh) != desk.conversation_id(post)
