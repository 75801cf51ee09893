"""One batch or one event at a time: ingest must thread a set of events the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_factories import ACCOUNTS, Desk

from socialdesk.bootstrap import App
from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.ingest import platform_time_order


@dataclass(frozen=True)
class Step:
    """One message of a generated scenario; ``reply_to`` is the index of an earlier step."""

    kind: str  # "in" (customer) or "out" (brand)
    author: str
    account: str | None
    minutes: int
    reply_to: int | None
    private: bool


@st.composite
def scenarios(draw: st.DrawFn) -> list[Step]:
    steps: list[Step] = []
    for index in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["in", "in", "in", "out"]))
        steps.append(
            Step(
                kind=kind,
                author=draw(st.sampled_from(["alice", "bob", "carol"])),
                account=draw(
                    st.sampled_from([*ACCOUNTS, None] if kind == "in" else list(ACCOUNTS))
                ),
                # Up to three days, so 24 h idle periods happen; clocks may run backwards.
                minutes=draw(st.integers(0, 3 * 24 * 60)),
                reply_to=draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None,
                private=draw(st.booleans()),
            )
        )
    return steps


def build(desk: Desk, steps: list[Step]) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    for step in steps:
        reply_to = events[step.reply_to] if step.reply_to is not None else None
        if step.kind == "in":
            event = desk.events.inbound(
                step.author,
                account=step.account,
                minutes=step.minutes,
                reply_to=reply_to,
                private=step.private,
            )
        else:
            assert step.account is not None
            event = desk.events.outbound(
                account=step.account,
                minutes=step.minutes,
                reply_to=reply_to,
                private=step.private,
            )
        events.append(event)
    return events


def conversations_by_messages(desk: Desk) -> dict[frozenset[str], tuple[Any, ...]]:
    """What each conversation looks like, keyed by its messages' platform ids."""
    members = desk.members()
    return {
        members[c.id]: (
            c.status,
            c.message_count,
            c.has_public,
            c.has_private,
            c.first_inbound_at,
            c.first_response_at,
            c.last_message_at,
            c.resolved_at,
        )
        for c in desk.conversations()
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=scenarios(), resolve_after=st.sampled_from([None, timedelta(hours=24)]))
def test_one_batch_and_one_by_one_batches_give_the_same_conversations(
    app: App, steps: list[Step], resolve_after: timedelta | None
) -> None:
    # Each example gets two fresh workspaces, so examples never see each other's rows.
    whole, single = Desk.create(app), Desk.create(app)

    whole.ingest(build(whole, steps), resolve_after=resolve_after)
    for event in platform_time_order(build(single, steps)):
        single.ingest([event], resolve_after=resolve_after)

    assert whole.partition() == single.partition()
    assert conversations_by_messages(whole) == conversations_by_messages(single)
