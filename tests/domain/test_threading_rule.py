"""The threading rule of design.md as a pure decision (domain/threading.py), no database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from socialdesk.domain.threading import (
    ConversationRef,
    Decision,
    is_resolved_at,
    thread_inbound,
    thread_outbound,
)

T0 = datetime(2017, 10, 31, 22, 0, tzinfo=UTC)
X, Y = 1, 2  # contacts
A, B = 10, 20  # channel accounts
DAY = timedelta(hours=24)

_ids = itertools.count(100)


def conversation(
    *,
    contact: int = X,
    account: int = A,
    resolved: bool = False,
    last_message_at: datetime = T0,
    id: int | None = None,
) -> ConversationRef:
    """A conversation as the rule sees it; defaults: X's open conversation with A at T0."""
    return ConversationRef(
        id=next(_ids) if id is None else id,
        contact_id=contact,
        account_id=account,
        resolved=resolved,
        last_message_at=last_message_at,
    )


def decide(
    *,
    parent: ConversationRef | None = None,
    latest: ConversationRef | None = None,
    at: datetime = T0 + timedelta(minutes=5),
    resolve_after: timedelta | None = None,
    contact: int = X,
    account: int = A,
) -> Decision:
    """Where an inbound message from ``contact`` on ``account`` goes."""
    return thread_inbound(
        contact_id=contact,
        account_id=account,
        at=at,
        parent_conversation=parent,
        latest_conversation=latest,
        resolve_after=resolve_after,
    )


# -- rule 1: a reply in the contact's own conversation --------------------------------------
def test_reply_to_own_conversation_joins_it() -> None:
    parent = conversation()
    assert decide(parent=parent) == Decision(parent.id, reopen=False)


def test_reply_to_own_resolved_conversation_joins_and_reopens_it() -> None:
    parent = conversation(resolved=True)
    assert decide(parent=parent) == Decision(parent.id, reopen=True)


def test_reply_to_own_conversation_idle_past_resolve_after_reopens_it() -> None:
    parent = conversation(last_message_at=T0)
    decision = decide(parent=parent, at=T0 + DAY + timedelta(hours=1), resolve_after=DAY)
    assert decision == Decision(parent.id, reopen=True)


def test_reply_to_own_conversation_wins_over_a_newer_latest_conversation() -> None:
    parent, latest = conversation(), conversation()
    assert decide(parent=parent, latest=latest).conversation_id == parent.id


# -- rule 2: a reply under someone else's conversation ---------------------------------------
def test_reply_to_another_contacts_conversation_opens_a_new_one() -> None:
    assert decide(parent=conversation(contact=Y)).opens_new


def test_reply_under_another_contact_opens_new_despite_own_open_conversation() -> None:
    decision = decide(parent=conversation(contact=Y), latest=conversation(contact=X))
    assert decision.opens_new


def test_reply_to_own_conversation_on_another_account_opens_a_new_one() -> None:
    assert decide(parent=conversation(account=B)).opens_new


# -- rule 3: a fresh message ------------------------------------------------------------------
def test_fresh_message_joins_latest_open_conversation() -> None:
    latest = conversation()
    assert decide(latest=latest) == Decision(latest.id, reopen=False)


def test_fresh_message_after_resolved_latest_conversation_opens_a_new_one() -> None:
    assert decide(latest=conversation(resolved=True)).opens_new


def test_fresh_message_without_any_conversation_opens_a_new_one() -> None:
    assert decide() == Decision(None)


def test_fresh_message_after_latest_idle_for_resolve_after_opens_a_new_one() -> None:
    latest = conversation(last_message_at=T0)
    assert decide(latest=latest, at=T0 + timedelta(hours=25), resolve_after=DAY).opens_new


def test_fresh_message_within_resolve_after_joins_latest() -> None:
    latest = conversation(last_message_at=T0)
    decision = decide(latest=latest, at=T0 + timedelta(hours=23), resolve_after=DAY)
    assert decision.conversation_id == latest.id


def test_fresh_message_long_after_latest_joins_it_without_resolve_after() -> None:
    latest = conversation(last_message_at=T0)
    decision = decide(latest=latest, at=T0 + timedelta(days=300), resolve_after=None)
    assert decision.conversation_id == latest.id


# -- idle and resolved --------------------------------------------------------------------------
def test_conversation_idle_exactly_resolve_after_counts_as_resolved() -> None:
    assert is_resolved_at(conversation(), T0 + DAY, resolve_after=DAY)


def test_conversation_idle_just_under_resolve_after_is_not_resolved() -> None:
    assert not is_resolved_at(conversation(), T0 + DAY - timedelta(seconds=1), resolve_after=DAY)


def test_resolved_conversation_is_resolved_at_any_time() -> None:
    assert is_resolved_at(conversation(resolved=True), T0, resolve_after=None)


# -- outbound -----------------------------------------------------------------------------------
def test_outbound_reply_joins_the_parents_conversation() -> None:
    parent = conversation(contact=Y, account=B, resolved=True)
    assert thread_outbound(parent) == parent.id


def test_outbound_message_replying_to_nothing_known_is_a_post() -> None:
    assert thread_outbound(None) is None


# -- properties ---------------------------------------------------------------------------------
times = st.datetimes(
    min_value=datetime(2017, 1, 1), max_value=datetime(2018, 12, 31), timezones=st.just(UTC)
)
resolve_afters = st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=DAY * 3))


@st.composite
def conversations(
    draw: st.DrawFn,
    *,
    ids: tuple[int, int],
    contact: int | None = None,
    account: int | None = None,
) -> ConversationRef:
    return ConversationRef(
        id=draw(st.integers(*ids)),
        contact_id=draw(st.sampled_from([X, Y])) if contact is None else contact,
        account_id=draw(st.sampled_from([A, B])) if account is None else account,
        resolved=draw(st.booleans()),
        last_message_at=draw(times),
    )


situations = st.fixed_dictionaries(
    {
        "parent": st.one_of(st.none(), conversations(ids=(1, 999))),
        # The caller passes X's latest conversation with A (or none): that is the precondition.
        "latest": st.one_of(st.none(), conversations(ids=(1000, 1999), contact=X, account=A)),
        "at": times,
        "resolve_after": resolve_afters,
    }
)


@given(situations)
def test_decision_never_joins_a_conversation_of_another_contact_or_account(
    situation: dict[str, Any],
) -> None:
    decision = decide(**situation)
    candidates = [c for c in (situation["parent"], situation["latest"]) if c is not None]
    if decision.conversation_id is not None:
        joined = [c for c in candidates if c.id == decision.conversation_id]
        assert joined, "joined a conversation that was neither the parent's nor the latest"
        assert any(c.contact_id == X and c.account_id == A for c in joined)


@given(situations)
def test_reply_under_another_contacts_or_accounts_conversation_always_opens_new(
    situation: dict[str, Any],
) -> None:
    parent = situation["parent"]
    decision = decide(**situation)
    if parent is not None and (parent.contact_id, parent.account_id) != (X, A):
        assert decision == Decision(None)


@given(situations)
def test_only_a_join_can_reopen(situation: dict[str, Any]) -> None:
    decision = decide(**situation)
    if decision.reopen:
        assert decision.conversation_id is not None
        assert situation["parent"] is not None
        assert decision.conversation_id == situation["parent"].id


@given(
    latest=conversations(ids=(1, 99), contact=X, account=A), at=times, resolve_after=resolve_afters
)
def test_fresh_message_never_joins_a_resolved_conversation(
    latest: ConversationRef, at: datetime, resolve_after: timedelta | None
) -> None:
    decision = decide(latest=latest, at=at, resolve_after=resolve_after)
    resolved = is_resolved_at(latest, at, resolve_after=resolve_after)
    assert decision.opens_new == resolved
