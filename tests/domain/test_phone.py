"""E.164 normalisation of phone numbers and SMS segment counting (domain/phone.py)."""

from __future__ import annotations

import pytest

from socialdesk.domain.phone import (
    InvalidPhoneNumber,
    normalize_phone,
    sms_segments,
    try_normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+14155550100", None, "+14155550100"),
        ("+1 (415) 555-0100", None, "+14155550100"),
        (" +44 20 7946 0958 ", None, "+442079460958"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("+33 6.12.34.56.78", None, "+33612345678"),
        ("(415) 555-0100", "1", "+14155550100"),
        ("1-415-555-0100", "1", "+14155550100"),
        ("020 7946 0958", "44", "+442079460958"),
        ("07700 900123", "+44", "+447700900123"),
        ("06 12 34 56 78", "33", "+33612345678"),
        ("06 1234 5678", "39", "+390612345678"),  # Italy keeps the leading 0
        ("+49\u00a030\u2011901820", None, "+4930901820"),  # no-break space and hyphen
    ],
)
def test_numbers_are_normalised_to_e164(raw: str, country: str | None, expected: str) -> None:
    assert normalize_phone(raw, default_country_code=country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "why"),
    [
        ("", None, "needs digits"),
        ("   ", "1", "needs digits"),
        ("415 555 0100", None, "no country code"),
        ("+1 415 555 01OO", None, "not digits"),
        ("+0 415 555 0100", None, "not a phone number"),
        ("+1234", None, "not a phone number"),
        ("+1234567890123456", None, "not a phone number"),
        ("555-0100 ext 12", "1", "not digits"),
        ("12345", "abc", "not a country calling code"),
    ],
)
def test_what_is_not_a_number_says_why(raw: str, country: str | None, why: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=why):
        normalize_phone(raw, default_country_code=country)


def test_try_normalize_keeps_short_codes_and_sender_ids_out() -> None:
    assert try_normalize_phone("72345") is None
    assert try_normalize_phone("ACME") is None
    assert try_normalize_phone("+1 415 555 0100") == "+14155550100"


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units", "remaining"),
    [
        ("", "GSM-7", 0, 0, 160),
        ("Hello!", "GSM-7", 1, 6, 154),
        ("a" * 160, "GSM-7", 1, 160, 0),
        ("a" * 161, "GSM-7", 2, 161, 145),
        ("a" * 306, "GSM-7", 2, 306, 0),
        ("a" * 307, "GSM-7", 3, 307, 152),
        ("Price: 10€ [incl. VAT]", "GSM-7", 1, 25, 135),  # € [ ] count twice
        ("Ça coûte 10 €", "UCS-2", 1, 13, 57),  # û is not in the GSM alphabet
        ("é" * 70, "GSM-7", 1, 70, 90),  # é is
        ("ű" * 70, "UCS-2", 1, 70, 0),
        ("ű" * 71, "UCS-2", 2, 71, 63),
        ("👍", "UCS-2", 1, 2, 68),  # a surrogate pair
    ],
)
def test_sms_segments(text: str, encoding: str, segments: int, units: int, remaining: int) -> None:
    counted = sms_segments(text)

    assert (counted.encoding, counted.segments, counted.units, counted.remaining) == (
        encoding,
        segments,
        units,
        remaining,
    )


def test_an_escape_pair_never_straddles_two_segments() -> None:
    # 306 septets would fit two segments of 153, but the € would take septets 153 and 154.
    text = "a" * 152 + "€" + "a" * 152

    counted = sms_segments(text)

    assert (counted.units, counted.segments, counted.remaining) == (306, 3, 152)


def test_a_surrogate_pair_never_straddles_two_segments() -> None:
    # 134 code units would fit two segments of 67, but the emoji would take units 67 and 68.
    counted = sms_segments("ű" * 66 + "👍" + "ű" * 66)

    assert (counted.units, counted.segments, counted.remaining) == (134, 3, 66)
