"""X-Twilio-Signature (channels/sms/_signature.py) on Twilio's documented test vector and on
the URL details that break it behind proxies."""

from __future__ import annotations

import pytest
from twilio_fake_server import sign

from socialdesk.channels.sms import signature_is_valid, twilio_signature, url_variants

# The documented example (platforms.md, from Twilio's webhook security page).
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
    ("Caller", "+14158675309"),
]
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_documented_vector() -> None:
    assert twilio_signature(TOKEN, URL, PARAMS) == EXPECTED
    assert sign(TOKEN, URL, PARAMS) == EXPECTED  # the tests' own signer agrees
    assert signature_is_valid(TOKEN, URL, PARAMS, EXPECTED)


def test_the_order_parameters_arrive_in_does_not_matter() -> None:
    assert signature_is_valid(TOKEN, URL, list(reversed(PARAMS)), EXPECTED)


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.com/myapp.php?foo=1&bar=3",  # another query
        "https://mycompany.com/myapp.php",  # the query left out
        "http://mycompany.com/myapp.php?foo=1&bar=2",  # the scheme a TLS proxy hides
        "https://proxy.internal/myapp.php?foo=1&bar=2",  # the host a proxy rewrites
        "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
    ],
)
def test_any_other_url_fails(url: str) -> None:
    assert not signature_is_valid(TOKEN, url, PARAMS, EXPECTED)


def test_a_changed_value_or_token_fails() -> None:
    tampered = [(k, "+19999999999" if k == "From" else v) for k, v in PARAMS]

    assert not signature_is_valid(TOKEN, URL, tampered, EXPECTED)
    assert not signature_is_valid("54321", URL, PARAMS, EXPECTED)
    assert not signature_is_valid(TOKEN, URL, [*PARAMS, ("Extra", "")], EXPECTED)


def test_the_default_port_may_be_written_or_not() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    signed_with_port = sign(TOKEN, with_port, PARAMS)

    assert url_variants(URL) == [URL, with_port]
    assert url_variants(with_port) == [with_port, URL]
    assert signature_is_valid(TOKEN, URL, PARAMS, signed_with_port)
    assert signature_is_valid(TOKEN, with_port, PARAMS, EXPECTED)


def test_repeated_names_are_sorted_by_value_too() -> None:
    params = [("MediaUrl", "https://b.example/2"), ("MediaUrl", "https://a.example/1")]
    expected = sign(TOKEN, URL, list(reversed(params)))

    assert signature_is_valid(TOKEN, URL, params, expected)


def test_non_ascii_bodies_are_signed_as_utf8() -> None:
    params = [("Body", "Merci ! Ça marche 👍"), ("From", "+33612345678")]

    assert signature_is_valid(TOKEN, URL, params, sign(TOKEN, URL, params))
