"""The rule index (RuleSet) decides exactly what evaluating every rule in order decides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.domain.rules import MessageFacts, RuleSet, compile_rules, evaluate, validate_rule

WORDS = ["refund", "late", "missing", "router", "wifi", "refunds", "job", "offer", "help"]
QUERIES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(["refund*", "rout*", "he*"]),
    st.builds(lambda a, b: f"{a} AND {b}", st.sampled_from(WORDS), st.sampled_from(WORDS)),
    st.builds(lambda a, b: f"{a} OR {b}", st.sampled_from(WORDS), st.sampled_from(WORDS)),
    st.builds(lambda a, b: f'"{a} {b}"', st.sampled_from(WORDS), st.sampled_from(WORDS)),
    st.builds(lambda a, b: f"{a} NOT {b}", st.sampled_from(WORDS), st.sampled_from(WORDS)),
    st.builds(lambda a: f"NOT {a}", st.sampled_from(WORDS)),
)
CONDITIONS = st.one_of(
    st.builds(lambda q: {"field": "text", "op": "matches", "value": q}, QUERIES),
    st.builds(lambda q: {"field": "text", "op": "not_matches", "value": q}, QUERIES),
    st.builds(
        lambda v: {"field": "language", "op": "in", "value": v},
        st.lists(st.sampled_from(["en", "es"]), min_size=1),
    ),
    st.builds(
        lambda v: {"field": "visibility", "op": "is", "value": v},
        st.sampled_from(["public", "private"]),
    ),
    st.builds(
        lambda v: {"field": "channel", "op": "not_in", "value": [v]},
        st.sampled_from(["sandbox", "twitter"]),
    ),
    st.builds(
        lambda v: {"field": "conversation", "op": "is", "value": v},
        st.sampled_from(["new", "existing"]),
    ),
)
RULES = st.lists(
    st.tuples(
        st.sampled_from(["all", "any"]),
        st.lists(CONDITIONS, max_size=3),
        st.sampled_from(
            [
                [{"type": "add_tags", "value": ["x"]}],
                [{"type": "stop"}],
                [{"type": "set_priority", "value": "high"}],
            ]
        ),
    ),
    max_size=12,
)
MESSAGES = st.builds(
    lambda words, language, visibility, platform, new: MessageFacts(
        platform=platform,
        visibility=visibility,
        text=" ".join(words),
        at=datetime(2024, 1, 1, tzinfo=UTC),
        language=language,
        new_conversation=new,
    ),
    st.lists(st.sampled_from([*WORDS, "Refund", "ROUTERS", "other"]), max_size=6),
    st.sampled_from(["en", "es", None]),
    st.sampled_from(["public", "private"]),
    st.sampled_from(["sandbox", "twitter"]),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(rules=RULES, message=MESSAGES)
def test_the_index_changes_no_decision(
    rules: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]], message: MessageFacts
) -> None:
    compiled = compile_rules(
        validate_rule(match=m, conditions=c, actions=a, id=i + 1)
        for i, (m, c, a) in enumerate(rules)
    )
    assert RuleSet(compiled).evaluate(message) == evaluate(compiled, message)
