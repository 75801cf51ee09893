"""The boolean query language of routing rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialdesk.domain.textquery import QuerySyntaxError, compile_query, tokenize_text

ISSUE_EXAMPLE = 'refund AND (late OR missing) NOT "job offer"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want a REFUND, my parcel is late", True),
        ("refund please, the box is missing", True),
        ("refund for a late delivery? we have a job offer for you", False),
        ("refund pending", False),
        ("late and missing", False),
    ],
)
def test_issue_example_query(text: str, expected: bool) -> None:
    assert compile_query(ISSUE_EXAMPLE).matches(text) is expected


def test_words_match_case_insensitively_and_whole() -> None:
    query = compile_query("Refund")
    assert query.matches("REFUND now")
    assert not query.matches("refunded already")


def test_prefix_wildcard_matches_word_starts() -> None:
    query = compile_query("deliver*")
    assert query.matches("Delivery failed")
    assert query.matches("not delivered")
    assert not query.matches("undelivered")


def test_phrase_needs_adjacent_words_in_order() -> None:
    query = compile_query('"job offer"')
    assert query.matches("A great JOB offer!")
    assert not query.matches("offer of a job")
    assert not query.matches("job and offer")


def test_juxtaposition_means_and() -> None:
    query = compile_query("wifi down")
    assert query.matches("the wifi is down again")
    assert not query.matches("the wifi is slow")


def test_and_binds_tighter_than_or() -> None:
    query = compile_query("a OR b AND c")
    assert query.matches("a")
    assert query.matches("b c")
    assert not query.matches("b")


def test_leading_not_excludes() -> None:
    query = compile_query("NOT spam")
    assert query.matches("hello")
    assert not query.matches("this is spam")


def test_lowercase_operators_are_plain_words() -> None:
    query = compile_query("salt and pepper")
    assert query.matches("salt and pepper")
    assert not query.matches("salt pepper")


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("", 1, "empty"),
        ("refund AND", 11, "ended"),
        ("(late OR missing", 1, "never closed"),
        ("late)", 5, "no matching"),
        ('refund "job offer', 8, "unterminated phrase"),
        ("AND refund", 1, "before AND"),
        ("late OR OR missing", 9, "before OR"),
        ("()", 1, "empty parentheses"),
        ("de*livery", 1, "only allowed at the end"),
        ("refund NOT", 11, "ended"),
        ('""', 1, "empty phrase"),
    ],
)
def test_malformed_query_names_the_position(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query(query)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert f"position {position}" in str(caught.value)


@given(st.lists(st.sampled_from(["late", "refund", "wifi", "bill"]), min_size=1, max_size=6))
def test_or_of_words_matches_when_any_word_is_present(words: list[str]) -> None:
    query = compile_query(" OR ".join(words))
    text = " ".join(["hello", words[-1], "world"])
    assert query.matches(text)
    assert not query.matches("hello world")


@given(st.text(max_size=60))
def test_compiling_arbitrary_text_either_succeeds_or_raises_syntax_error(source: str) -> None:
    try:
        query = compile_query(source)
    except QuerySyntaxError as exc:
        assert 1 <= exc.position <= len(source) + 1
    else:
        assert isinstance(query.matches(source), bool)


def test_tokenizer_keeps_apostrophes_inside_words() -> None:
    assert tokenize_text("Don\u2019t CANCEL it's fine") == ("don't", "cancel", "it's", "fine")
