"""Personal data detection, used to block public replies that would leak it."""

from __future__ import annotations

import pytest

from socialdesk.domain.pii import find_pii, luhn_valid


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_pii(text)]


def test_email_is_found() -> None:
    assert kinds("write to jo.doe+x@mail.example.com today") == [
        ("email", "jo.doe+x@mail.example.com")
    ]


@pytest.mark.parametrize(
    "number", ["+1 415 555 0134", "(415) 555-0134", "555-0134", "+44 20 7946 0958", "4155550134"]
)
def test_phone_numbers_are_found(number: str) -> None:
    assert kinds(f"call me on {number} please") == [("phone", number)]


def test_card_number_passing_luhn_is_a_card() -> None:
    assert kinds("card 4111 1111 1111 1111 thanks") == [("card", "4111 1111 1111 1111")]


def test_sixteen_digits_failing_luhn_are_not_a_card() -> None:
    assert [k for k, _ in kinds("ref 4111 1111 1111 1112")] != ["card"]


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("order #123456 is late", "123456"),
        ("my order number is AB12345", "AB12345"),
        ("account no. 98765432", "98765432"),
        ("Booking ref: XK-99821", "XK-99821"),
    ],
)
def test_order_and_account_references_are_found(text: str, reference: str) -> None:
    assert kinds(text) == [("reference", reference)]


@pytest.mark.parametrize(
    "text",
    [
        "on 2017-10-31 at 10:30 the app crashed",
        "we had 1.000.000 users in 2017",
        "Flight 2345 was delayed",
        "the order is late",
        "version 3.2.1 broke it",
    ],
)
def test_ordinary_numbers_are_not_personal_data(text: str) -> None:
    assert kinds(text) == []


def test_custom_reference_patterns_replace_the_defaults() -> None:
    findings = find_pii("claim CLM-7781 filed", reference_patterns=[r"\bCLM-\d{4}\b"])
    assert [(f.kind, f.text) for f in findings] == [("reference", "CLM-7781")]


def test_masking_keeps_only_the_last_four() -> None:
    (finding,) = find_pii("card 4111 1111 1111 1111")
    assert finding.masked.endswith("1111")
    assert "4111 1111 1111" not in finding.masked


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("79927398713", True), ("79927398710", False), ("12a4", False)],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid
