"""platform_time_order: time order, except that a reply never precedes what it answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from ingest_factories import EventFactory

from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.ingest import platform_time_order


def factory() -> EventFactory:
    return EventFactory(account_ids={"acme": 1, "globex": 2})


def ids(events: list[InboundEvent]) -> list[str]:
    return [e.platform_message_id for e in events]


def test_events_come_in_platform_time_order() -> None:
    f = factory()
    late, early, middle = (f.inbound(minutes=m) for m in (30, 10, 20))
    assert ids(platform_time_order([late, early, middle])) == ids([early, middle, late])


def test_equal_times_are_ordered_by_numeric_platform_id() -> None:
    f = factory()
    tenth = f.inbound(message_id="10", minutes=5)
    ninth = f.inbound(message_id="9", minutes=5)
    assert ids(platform_time_order([tenth, ninth])) == ["9", "10"]


def test_reply_with_an_earlier_clock_comes_right_after_its_parent() -> None:
    f = factory()
    post = f.inbound(minutes=10)
    other = f.inbound("bob", minutes=9)
    reply = f.outbound(minutes=5, reply_to=post)  # the brand's clock is behind
    assert ids(platform_time_order([reply, other, post])) == ids([other, post, reply])


def test_chain_of_early_clocked_replies_follows_its_root() -> None:
    f = factory()
    root = f.inbound(minutes=30)
    answer = f.outbound(minutes=20, reply_to=root)
    follow_up = f.inbound(minutes=10, reply_to=answer)
    assert ids(platform_time_order([follow_up, answer, root])) == ids([root, answer, follow_up])


def test_reply_to_a_message_outside_the_batch_keeps_its_time_place() -> None:
    f = factory()
    reply = f.inbound(minutes=1, reply_to="not-in-this-batch")
    later = f.inbound("bob", minutes=2)
    assert ids(platform_time_order([later, reply])) == ids([reply, later])


def test_reply_cycle_loses_no_event() -> None:
    f = factory()
    first = f.inbound(message_id="1", reply_to="2", minutes=1)
    second = f.inbound(message_id="2", reply_to="1", minutes=2)
    assert sorted(ids(platform_time_order([second, first]))) == ["1", "2"]


@st.composite
def threads(draw: st.DrawFn) -> list[InboundEvent]:
    """Events that reply to earlier-created ones (no cycles), with arbitrary clocks."""
    f = factory()
    events: list[InboundEvent] = []
    for index in range(draw(st.integers(1, 25))):
        parent = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        events.append(
            f.inbound(
                draw(st.sampled_from(["alice", "bob"])),
                minutes=draw(st.integers(0, 600)),
                reply_to=events[parent] if parent is not None else None,
            )
        )
    return draw(st.permutations(events))


@given(threads())
def test_order_is_a_permutation_where_every_parent_precedes_its_replies(
    events: list[InboundEvent],
) -> None:
    ordered = ids(platform_time_order(events))
    assert sorted(ordered) == sorted(ids(events))
    position = {pmid: i for i, pmid in enumerate(ordered)}
    for event in events:
        if event.reply_to_platform_id is not None:
            assert position[event.reply_to_platform_id] < position[event.platform_message_id]
