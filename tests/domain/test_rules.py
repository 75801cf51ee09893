"""Routing rules (domain/rules.py): validation of every condition and action, evaluation of
every condition type on message facts, order, merge and stop semantics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.influence import influence
from socialdesk.domain.rules import (
    CONDITION_FIELDS,
    Decision,
    MessageFacts,
    RuleEnvironment,
    RuleValidationError,
    compile_rule,
    evaluate,
    validate_rule,
)

# A Wednesday, 10:00 in Madrid (09:00 UTC in winter)
WEDNESDAY_10_MADRID = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
WEDNESDAY_20_MADRID = datetime(2024, 1, 10, 19, 0, tzinfo=UTC)


def facts(**overrides: Any) -> MessageFacts:
    values: dict[str, Any] = {
        "platform": "twitter",
        "visibility": "public",
        "text": "My refund is late, please help",
        "at": WEDNESDAY_10_MADRID,
        "account_id": 7,
        "language": "en",
        "sentiment": "negative",
        "sentiment_score": -0.6,
        "pii_kinds": (),
        "followers": 50_000,
        "verified": False,
        "contact_tags": ("VIP",),
        "crm_tier": "Gold",
        "earlier_conversations": 2,
        "new_conversation": True,
    }
    values.update(overrides)
    return MessageFacts(**values)


def matches(
    condition: dict[str, Any], message: MessageFacts, env: RuleEnvironment | None = None
) -> bool:
    rule = compile_rule(validate_rule(conditions=[condition], actions=[{"type": "stop"}], id=1))
    return rule.matches(message, env or RuleEnvironment())


# -- every condition ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "yes", "no"),
    [
        ({"field": "channel", "op": "in", "value": ["twitter"]}, {}, {"platform": "sandbox"}),
        ({"field": "channel", "op": "not_in", "value": ["sandbox"]}, {}, {"platform": "sandbox"}),
        ({"field": "account", "op": "in", "value": [7, 8]}, {}, {"account_id": 9}),
        ({"field": "account", "op": "not_in", "value": [9]}, {}, {"account_id": 9}),
        ({"field": "visibility", "op": "is", "value": "public"}, {}, {"visibility": "private"}),
        ({"field": "language", "op": "in", "value": ["ES", "en"]}, {}, {"language": "fr"}),
        ({"field": "language", "op": "not_in", "value": ["es"]}, {}, {"language": "es"}),
        ({"field": "sentiment", "op": "in", "value": ["negative"]}, {}, {"sentiment": "neutral"}),
        ({"field": "sentiment_score", "op": "lte", "value": -0.5}, {}, {"sentiment_score": -0.2}),
        ({"field": "sentiment_score", "op": "gt", "value": -0.7}, {}, {"sentiment_score": None}),
        ({"field": "influence", "op": "at_least", "value": "high"}, {}, {"followers": 9_999}),
        ({"field": "influence", "op": "at_most", "value": "medium"}, {"followers": 10}, {}),
        ({"field": "influence", "op": "is", "value": "high"}, {}, {"followers": 200_000}),
        ({"field": "followers", "op": "gte", "value": 50_000}, {}, {"followers": 49_999}),
        ({"field": "followers", "op": "lt", "value": 100}, {"followers": None}, {}),
        ({"field": "verified", "op": "is", "value": True}, {"verified": True}, {}),
        (
            {"field": "contact_tags", "op": "any", "value": ["vip", "press"]},
            {},
            {"contact_tags": ()},
        ),
        (
            {"field": "contact_tags", "op": "all", "value": ["vip", "press"]},
            {"contact_tags": ("press", "vip")},
            {},
        ),
        (
            {"field": "contact_tags", "op": "none", "value": ["blocked"]},
            {},
            {"contact_tags": ("Blocked",)},
        ),
        ({"field": "crm_tier", "op": "in", "value": ["gold"]}, {}, {"crm_tier": None}),
        ({"field": "crm_tier", "op": "not_in", "value": ["gold"]}, {"crm_tier": "silver"}, {}),
        (
            {"field": "earlier_conversations", "op": "eq", "value": 0},
            {"earlier_conversations": 0},
            {},
        ),
        (
            {"field": "earlier_conversations", "op": "gte", "value": 2},
            {},
            {"earlier_conversations": 1},
        ),
        ({"field": "conversation", "op": "is", "value": "new"}, {}, {"new_conversation": False}),
        (
            {"field": "conversation", "op": "is", "value": "existing"},
            {"new_conversation": False},
            {},
        ),
        ({"field": "pii", "op": "any", "value": []}, {"pii_kinds": ("email",)}, {}),
        (
            {"field": "pii", "op": "any", "value": ["card"]},
            {"pii_kinds": ("card",)},
            {"pii_kinds": ("email",)},
        ),
        ({"field": "pii", "op": "none", "value": []}, {}, {"pii_kinds": ("phone",)}),
        (
            {"field": "text", "op": "matches", "value": "refund AND (late OR missing)"},
            {},
            {"text": "refund done"},
        ),
        (
            {"field": "text", "op": "matches", "value": 'REFUND NOT "job offer"'},
            {},
            {"text": "refund job offer"},
        ),
        (
            {"field": "text", "op": "matches", "value": "refund*"},
            {"text": "Refunds please"},
            {"text": "re fund"},
        ),
        ({"field": "text", "op": "not_matches", "value": "thanks"}, {}, {"text": "Thanks a lot"}),
    ],
)
def test_each_condition_matches_and_fails(
    condition: dict[str, Any], yes: dict[str, Any], no: dict[str, Any]
) -> None:
    assert matches(condition, facts(**yes))
    assert not matches(condition, facts(**no))


def test_every_condition_field_is_covered_by_the_table_above() -> None:
    # the parametrized table is the specification: a new field must get a row there
    source = Path(__file__).read_text(encoding="utf-8")
    for fld in CONDITION_FIELDS:
        if fld == "business_hours":
            continue  # tested with calendars below
        assert f'"field": "{fld}"' in source


def test_business_hours_with_a_named_and_a_default_calendar() -> None:
    madrid = BusinessCalendar.weekly(
        "Europe/Madrid", {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    env = RuleEnvironment(calendars={3: madrid}, default_calendar_id=3)
    named = {"field": "business_hours", "op": "is", "value": "open", "calendar_id": 3}
    default = {"field": "business_hours", "op": "is", "value": "closed"}
    assert matches(named, facts(at=WEDNESDAY_10_MADRID), env)
    assert not matches(named, facts(at=WEDNESDAY_20_MADRID), env)
    assert matches(default, facts(at=WEDNESDAY_20_MADRID), env)
    assert not matches(default, facts(at=WEDNESDAY_10_MADRID), env)
    # no calendar known: always open, so "closed" never matches
    assert not matches(default, facts(at=WEDNESDAY_20_MADRID), RuleEnvironment())


# -- all / any, order, merge, stop ---------------------------------------------------------------
def rule(
    rule_id: int,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    match: str = "all",
) -> Any:
    return compile_rule(
        validate_rule(match=match, conditions=conditions, actions=actions, id=rule_id)
    )


SPANISH = {"field": "language", "op": "in", "value": ["es"]}
REFUND = {"field": "text", "op": "matches", "value": "refund OR reembolso"}


def test_all_needs_every_condition_and_any_needs_one() -> None:
    both = rule(1, [SPANISH, REFUND], [{"type": "stop"}])
    either = rule(2, [SPANISH, REFUND], [{"type": "stop"}], match="any")
    english_refund = facts(language="en", text="refund please")
    assert not both.matches(english_refund, RuleEnvironment())
    assert either.matches(english_refund, RuleEnvironment())
    assert not either.matches(facts(language="en", text="hello"), RuleEnvironment())
    # no conditions: matches everything
    assert rule(3, [], [{"type": "stop"}]).matches(facts(), RuleEnvironment())


def test_actions_apply_in_order_later_rules_override_and_tags_add_up() -> None:
    rules = [
        rule(
            1,
            [REFUND],
            [
                {"type": "set_team", "value": 4},
                {"type": "add_tags", "value": ["refund"]},
                {"type": "set_priority", "value": "normal"},
            ],
        ),
        rule(
            2,
            [SPANISH],
            [
                {"type": "set_team", "value": 9},
                {"type": "add_tags", "value": ["spanish", "refund"]},
            ],
        ),
        rule(
            3,
            [{"field": "influence", "op": "at_least", "value": "high"}],
            [
                {"type": "set_priority", "value": "high"},
                {"type": "set_sla_policy", "value": 2},
                {"type": "assign", "value": "auto"},
                {"type": "auto_reply", "value": 5},
            ],
        ),
    ]
    decision = evaluate(rules, facts(language="es", text="quiero un reembolso"))
    assert decision.matched_rule_ids == [1, 2, 3]
    assert decision.team_id == 9
    assert decision.tags == ["refund", "spanish"]
    assert (decision.priority, decision.sla_policy_id, decision.assign, decision.auto_reply) == (
        "high",
        2,
        "auto",
        5,
    )
    assert not decision.spam


def test_stop_ends_the_evaluation_and_spam_sticks() -> None:
    rules = [
        rule(
            1,
            [{"field": "text", "op": "matches", "value": '"job offer"'}],
            [{"type": "mark_spam"}, {"type": "stop"}],
        ),
        rule(2, [], [{"type": "set_team", "value": 1}]),
    ]
    spam = evaluate(rules, facts(text="Great JOB OFFER for you"))
    assert spam.spam and spam.matched_rule_ids == [1] and spam.team_id is None
    normal = evaluate(rules, facts(text="my router is broken"))
    assert not normal.spam and normal.matched_rule_ids == [2] and normal.team_id == 1


def test_several_messages_of_one_conversation_merge_into_one_decision() -> None:
    rules = [
        rule(1, [REFUND], [{"type": "add_tags", "value": ["refund"]}]),
        rule(2, [SPANISH], [{"type": "set_team", "value": 3}]),
    ]
    decision = Decision()
    evaluate(rules, facts(language="en", text="refund"), decision=decision)
    evaluate(rules, facts(language="es", text="hola"), decision=decision)
    assert (
        decision.matched_rule_ids == [1, 2]
        and decision.tags == ["refund"]
        and decision.team_id == 3
    )


def test_auto_reply_text_and_assign_user() -> None:
    decision = evaluate(
        [
            rule(
                1,
                [],
                [
                    {"type": "auto_reply", "value": "  We are on it  "},
                    {"type": "assign", "value": "user:12"},
                ],
            )
        ],
        facts(),
    )
    assert decision.auto_reply == "We are on it" and decision.assign == "user:12"


# -- validation ----------------------------------------------------------------------------------
def invalid(**kwargs: Any) -> RuleValidationError:
    kwargs.setdefault("actions", [{"type": "stop"}])
    with pytest.raises(RuleValidationError) as caught:
        validate_rule(**kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ('refund AND "late', 12, "unterminated phrase"),
        ("refund AND", 11, "query ended"),
        ("(refund OR late", 1, "never closed"),
        ("refund)", 7, "no matching"),
        ("OR refund", 1, "before OR"),
        ("ref*und", 1, "only allowed at the end"),
        ("()", 1, "empty parentheses"),
    ],
)
def test_malformed_queries_are_rejected_with_the_position(
    query: str, position: int, words: str
) -> None:
    error = invalid(
        conditions=[
            {"field": "language", "op": "in", "value": ["en"]},
            {"field": "text", "op": "matches", "value": query},
        ]
    )
    assert error.field == "conditions[1].value"
    assert error.position == position
    assert words in error.message
    assert f"at position {position}" in error.detail


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"match": "some"}, "match", "all or any"),
        ({"conditions": {"field": "language"}}, "conditions", "list"),
        ({"conditions": ["language"]}, "conditions[0]", "object"),
        ({"conditions": [{"field": "mood", "value": 1}]}, "conditions[0].field", "not one of"),
        (
            {"conditions": [{"field": "language", "op": "gte", "value": ["en"]}]},
            "conditions[0].op",
            "not an operator",
        ),
        ({"conditions": [{"field": "language", "op": "in"}]}, "conditions[0].value", "missing"),
        (
            {"conditions": [{"field": "language", "op": "in", "value": ["english"]}]},
            "conditions[0].value[0]",
            "language code",
        ),
        (
            {"conditions": [{"field": "channel", "op": "in", "value": []}]},
            "conditions[0].value",
            "non-empty",
        ),
        (
            {"conditions": [{"field": "account", "op": "in", "value": [0]}]},
            "conditions[0].value[0]",
            "not an id",
        ),
        (
            {"conditions": [{"field": "visibility", "op": "is", "value": "secret"}]},
            "conditions[0].value",
            "public or private",
        ),
        (
            {"conditions": [{"field": "sentiment", "op": "in", "value": ["angry"]}]},
            "conditions[0].value[0]",
            "negative",
        ),
        (
            {"conditions": [{"field": "sentiment_score", "op": "lte", "value": 3}]},
            "conditions[0].value",
            "-1 to 1",
        ),
        (
            {"conditions": [{"field": "influence", "op": "at_least", "value": "huge"}]},
            "conditions[0].value",
            "low, medium",
        ),
        (
            {"conditions": [{"field": "followers", "op": "gte", "value": -1}]},
            "conditions[0].value",
            "whole number",
        ),
        (
            {"conditions": [{"field": "verified", "op": "is", "value": "yes"}]},
            "conditions[0].value",
            "true or false",
        ),
        (
            {"conditions": [{"field": "earlier_conversations", "op": "eq", "value": True}]},
            "conditions[0].value",
            "whole number",
        ),
        (
            {"conditions": [{"field": "conversation", "op": "is", "value": "old"}]},
            "conditions[0].value",
            "new or existing",
        ),
        (
            {
                "conditions": [
                    {"field": "business_hours", "op": "is", "value": "open", "calendar_id": "x"}
                ]
            },
            "conditions[0].calendar_id",
            "calendar id",
        ),
        (
            {"conditions": [{"field": "language", "op": "in", "value": ["en"], "calendar_id": 1}]},
            "conditions[0].calendar_id",
            "only business_hours",
        ),
        (
            {"conditions": [{"field": "text", "op": "matches", "value": "  "}]},
            "conditions[0].value",
            "expected a query",
        ),
        (
            {"conditions": [{"field": "language", "op": "in", "value": ["en"], "extra": 1}]},
            "conditions[0]",
            "unknown key",
        ),
        ({"actions": []}, "actions", "non-empty"),
        ({"actions": [{"type": "teleport"}]}, "actions[0].type", "not one of"),
        ({"actions": [{"type": "set_team", "value": "billing"}]}, "actions[0].value", "an id"),
        (
            {"actions": [{"type": "set_priority", "value": "asap"}]},
            "actions[0].value",
            "low, normal",
        ),
        ({"actions": [{"type": "add_tags", "value": "vip"}]}, "actions[0].value", "non-empty list"),
        ({"actions": [{"type": "set_sla_policy", "value": 0}]}, "actions[0].value", "an id"),
        ({"actions": [{"type": "assign", "value": "bob"}]}, "actions[0].value", "user:<id>"),
        ({"actions": [{"type": "auto_reply", "value": ""}]}, "actions[0].value", "canned response"),
        ({"actions": [{"type": "mark_spam", "value": True}]}, "actions[0].value", "takes no value"),
        ({"actions": [{"type": "stop"}, {"type": "stop"}]}, "actions[1].type", "twice"),
    ],
)
def test_invalid_rules_name_the_element(kwargs: dict[str, Any], field: str, words: str) -> None:
    error = invalid(**kwargs)
    assert error.field == field
    assert words in error.message
    assert error.status == 422


def test_stored_form_round_trips() -> None:
    spec = validate_rule(
        match="any",
        conditions=[
            {"field": "language", "value": ["ES", "es", "fr"]},  # op defaults to the first one
            {"field": "business_hours", "op": "is", "value": "closed"},
        ],
        actions=[{"type": "add_tags", "value": ["Billing"]}, {"type": "mark_spam"}],
    )
    assert spec.conditions_json() == [
        {"field": "language", "op": "in", "value": ["es", "fr"]},
        {"field": "business_hours", "op": "is", "value": "closed", "calendar_id": None},
    ]
    assert spec.actions_json() == [
        {"type": "add_tags", "value": ["billing"]},
        {"type": "mark_spam"},
    ]
    again = validate_rule(
        match=spec.match, conditions=spec.conditions_json(), actions=spec.actions_json()
    )
    assert again == spec


# -- influence -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("followers", "verified", "level"),
    [
        (None, False, "low"),
        (999, False, "low"),
        (1_000, False, "medium"),
        (2_000, True, "high"),
        (50_000, False, "high"),
        (100_000, False, "top"),
        (10**7, True, "top"),
    ],
)
def test_influence_levels(followers: int | None, verified: bool, level: str) -> None:
    assert influence(followers, verified).level == level


def test_influence_score_grows_with_followers_and_verification() -> None:
    assert influence(0).score == 0
    assert influence(10).score < influence(10_000).score < influence(10**7).score == 100
    assert influence(10_000, True).score == influence(10_000).score + 10
