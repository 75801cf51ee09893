"""Assignment rules: eligibility, shifts, and every strategy under capacity limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.domain.assignment import (
    CHANNEL_TYPES,
    DEFAULT_CAPACITY,
    Candidate,
    Schedule,
    Strategy,
    Work,
    channel_type,
    choose,
    eligible,
    normalize_capacity,
    parse_shifts,
)
from socialdesk.domain.errors import InvalidInput

AUTO_STRATEGIES = [Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.SKILLS]
LANGS = ["en", "es", "fr", "de"]
TOPICS = ["billing", "refund", "outage", "sales"]


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 60), min_size=0, max_size=8, unique=True))
    result = []
    for uid in ids:
        capacity = draw(st.dictionaries(st.sampled_from(CHANNEL_TYPES), st.integers(0, 4)))
        load = {kind: draw(st.integers(0, 6)) for kind in CHANNEL_TYPES}
        result.append(
            Candidate(
                user_id=uid,
                availability=draw(st.sampled_from(["online", "online", "away", "offline"])),
                languages=frozenset(draw(st.lists(st.sampled_from(LANGS), max_size=2))),
                topics=frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=2))),
                capacity=capacity,
                load=load,
                on_duty=draw(
                    st.one_of(
                        st.none(),
                        st.frozensets(st.sampled_from(CHANNEL_TYPES)),
                    )
                ),
            )
        )
    return result


works = st.builds(
    Work,
    channel_type=st.sampled_from(CHANNEL_TYPES),
    language=st.one_of(st.none(), st.sampled_from(LANGS)),
    topics=st.frozensets(st.sampled_from(TOPICS), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(
    pool=candidates(),
    work=works,
    strategy=st.sampled_from(AUTO_STRATEGIES),
    cursor=st.one_of(st.none(), st.integers(0, 70)),
)
def test_the_choice_is_always_an_eligible_agent_or_none(
    pool: list[Candidate], work: Work, strategy: str, cursor: int | None
) -> None:
    choice = choose(strategy, pool, work, cursor=cursor)
    able = [c for c in pool if eligible(c, work)]
    if not able:
        assert choice is None
        return
    assert choice is not None
    picked = next(c for c in pool if c.user_id == choice.user_id)
    assert picked.availability == "online"
    assert picked.open_count(work.channel_type) < picked.limit(work.channel_type)
    assert picked.on_duty is None or work.channel_type in picked.on_duty


@settings(max_examples=100, deadline=None)
@given(pool=candidates(), work=works, strategy=st.sampled_from(AUTO_STRATEGIES))
def test_assigning_until_full_never_exceeds_any_capacity(
    pool: list[Candidate], work: Work, strategy: str
) -> None:
    """Feed conversations one at a time, as the service does, until nobody can take more."""
    loads = {c.user_id: dict(c.load) for c in pool}
    cursor = None
    given_out = 0
    while True:
        current = [
            Candidate(
                user_id=c.user_id,
                availability=c.availability,
                languages=c.languages,
                topics=c.topics,
                capacity=c.capacity,
                load=loads[c.user_id],
                on_duty=c.on_duty,
            )
            for c in pool
        ]
        choice = choose(strategy, current, work, cursor=cursor)
        if choice is None:
            break
        loads[choice.user_id][work.channel_type] += 1
        cursor = choice.user_id
        given_out += 1
        assert given_out <= 100, "the loop must end: capacity is finite"
    for c in pool:
        before, after = c.open_count(work.channel_type), loads[c.user_id][work.channel_type]
        if after > before:  # got something: never beyond the limit
            assert after <= c.limit(work.channel_type)
        if eligible(c, work):  # was able to take work: ends exactly full
            assert after == c.limit(work.channel_type)


@settings(max_examples=100, deadline=None)
@given(pool=candidates(), work=works)
def test_least_loaded_picks_the_lowest_share_of_capacity(pool: list[Candidate], work: Work) -> None:
    choice = choose(Strategy.LEAST_LOADED, pool, work)
    able = [c for c in pool if eligible(c, work)]
    if choice is None:
        assert not able
        return

    def share(c: Candidate) -> float:
        return c.open_count(work.channel_type) / max(c.limit(work.channel_type), 1)

    picked = next(c for c in able if c.user_id == choice.user_id)
    assert share(picked) == min(share(c) for c in able)


@settings(max_examples=100, deadline=None)
@given(pool=candidates(), work=works)
def test_skills_prefers_a_speaker_of_the_language_whenever_one_is_eligible(
    pool: list[Candidate], work: Work
) -> None:
    choice = choose(Strategy.SKILLS, pool, work)
    if choice is None:
        return
    speakers = [c for c in pool if eligible(c, work) and work.language in c.languages]
    picked = next(c for c in pool if c.user_id == choice.user_id)
    if speakers:
        assert work.language in picked.languages
        best_overlap = max(len(c.topics & work.topics) for c in speakers)
        assert len(picked.topics & work.topics) == best_overlap


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(1, 50), min_size=1, max_size=6, unique=True))
def test_round_robin_takes_turns_in_id_order(ids: list[int]) -> None:
    pool = [Candidate(user_id=i, capacity={"social": 100}) for i in ids]
    work = Work("social")
    cursor = None
    seen = []
    for _ in range(2 * len(ids)):
        choice = choose(Strategy.ROUND_ROBIN, pool, work, cursor=cursor)
        assert choice is not None
        seen.append(choice.user_id)
        cursor = choice.user_id
    assert seen == sorted(ids) * 2


def test_round_robin_skips_full_and_away_agents() -> None:
    pool = [
        Candidate(user_id=1, capacity={"social": 1}, load={"social": 1}),
        Candidate(user_id=2, availability="away"),
        Candidate(user_id=3),
    ]
    choice = choose(Strategy.ROUND_ROBIN, pool, Work("social"), cursor=None)
    assert choice is not None and choice.user_id == 3


def test_capacity_zero_means_never_this_channel_type_and_defaults_apply() -> None:
    agent = Candidate(user_id=1, capacity={"email": 0})
    assert not eligible(agent, Work("email"))
    assert agent.limit("social") == DEFAULT_CAPACITY["social"]
    full = Candidate(user_id=2, load={"chat": DEFAULT_CAPACITY["chat"]})
    assert not eligible(full, Work("chat"))
    assert eligible(full, Work("social"))


def test_channel_types_from_platform_and_audience() -> None:
    assert channel_type("twitter", has_public=True, has_private=False) == "social"
    assert channel_type("twitter", has_public=True, has_private=True) == "social"
    assert channel_type("whatsapp", has_public=False, has_private=True) == "messaging"
    assert channel_type("email", has_public=False, has_private=True) == "email"
    assert channel_type("webchat", has_public=False, has_private=True) == "chat"


def test_shifts_decide_what_an_agent_takes_and_when() -> None:
    windows = parse_shifts(
        [
            {"day": "mon", "start": "09:00", "end": "13:00", "channel_types": ["social"]},
            {"day": "monday", "start": "14:00", "end": "18:00"},
        ]
    )
    schedule = Schedule(timezone="Europe/Madrid", windows=tuple(windows))
    # Monday 2026-03-02: Madrid is UTC+1.
    assert schedule.on_duty(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) == {"social"}
    assert schedule.on_duty(datetime(2026, 3, 2, 12, 30, tzinfo=UTC)) == frozenset()
    assert schedule.on_duty(datetime(2026, 3, 2, 14, 0, tzinfo=UTC)) == set(CHANNEL_TYPES)
    assert schedule.on_duty(datetime(2026, 3, 3, 9, 0, tzinfo=UTC)) == frozenset()  # Tuesday
    assert Schedule().on_duty(datetime(2026, 3, 3, 9, 0, tzinfo=UTC)) is None
    social_only = Candidate(user_id=1, on_duty=frozenset({"social"}))
    assert eligible(social_only, Work("social"))
    assert not eligible(social_only, Work("messaging"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"day": "funday", "start": "09:00", "end": "10:00"}], "not a weekday"),
        ([{"day": "mon", "start": "17:00", "end": "09:00"}], "ends before it starts"),
        ([{"day": "mon", "start": "9am", "end": "10:00"}], "not a time"),
        ([{"day": "mon", "start": "09:00", "end": "10:00", "channel_types": ["fax"]}], "fax"),
        (["mon 9-5"], "object"),
    ],
)
def test_bad_shifts_are_refused_with_a_reason(raw: list[object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_shifts(raw)


def test_bad_capacity_and_unknown_strategy_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown channel type"):
        normalize_capacity({"fax": 2})
    with pytest.raises(InvalidInput, match="between 0"):
        normalize_capacity({"social": -1})
    with pytest.raises(InvalidInput, match="whole number"):
        normalize_capacity({"social": True})
    with pytest.raises(InvalidInput, match="strategy"):
        choose("random", [Candidate(user_id=1)], Work("social"))
