"""Phone numbers and SMS text: E.164 normalisation for identities, GSM-7/UCS-2 segment counts.

A phone number is one identity however it was written (``+1 (415) 555-0100``,
``0044 20 7946 0958``, ``415.555.0100`` with a default country code ``1``), so identities
store the E.164 form: ``+``, a country code and the subscriber number, 15 digits at most,
no separators. The rules here are syntactic only (no numbering-plan database): a number
that is E.164 in shape is accepted as written.

SMS bodies travel in 140-byte segments: 160 characters of the GSM 03.38 alphabet (the
characters of its extension table take two), or 70 UTF-16 code units (UCS-2) once any other
character appears. Longer texts are split into segments of 153 or 67 (the rest carries the
concatenation header) and billed per segment; a character is never split across two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "InvalidPhoneNumber",
    "SmsSegments",
    "normalize_phone",
    "sms_segments",
    "try_normalize_phone",
]

_SEPARATORS = re.compile(r"[\s\-.()/\u00a0\u2010-\u2015]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_COUNTRY_CODE = re.compile(r"^[1-9]\d{0,2}$")
# Country codes whose national numbers keep their leading 0 after the country code
# (Italy's fixed lines, San Marino, the Vatican); elsewhere a national 0 is a trunk prefix.
_KEEP_TRUNK_ZERO = frozenset({"39", "378", "379"})


class InvalidPhoneNumber(ValueError):
    """Text that cannot be read as a phone number; the message says why."""


def normalize_phone(raw: str, *, default_country_code: str | None = None) -> str:
    """The E.164 form of ``raw`` (``+14155550100``).

    International forms (``+…``, ``00…``) need no country; a national number (``(415)
    555-0100``, ``020 7946 0958``) takes ``default_country_code`` (digits, e.g. ``"1"`` or
    ``"44"``), its trunk ``0`` dropped. Raises :class:`InvalidPhoneNumber` otherwise.
    """
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("a phone number needs digits")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    else:
        if not default_country_code:
            raise InvalidPhoneNumber(
                f"{raw!r} has no country code: write it as +<country code><number>"
            )
        country = default_country_code.strip().lstrip("+")
        if not _COUNTRY_CODE.match(country):
            raise InvalidPhoneNumber(f"{default_country_code!r} is not a country calling code")
        national = compact
        if not national.isdigit():
            raise InvalidPhoneNumber(f"{raw!r} holds characters that are not digits")
        if country == "1" and len(national) == 11 and national.startswith("1"):
            national = national[1:]  # a North American number dialled with its leading 1
        if national.startswith("0") and country not in _KEEP_TRUNK_ZERO:
            national = national[1:]
        digits = country + national
    if not digits.isdigit():
        raise InvalidPhoneNumber(f"{raw!r} holds characters that are not digits")
    number = "+" + digits
    if not _E164.match(number):
        raise InvalidPhoneNumber(
            f"{raw!r} is not a phone number: E.164 numbers have 7 to 15 digits and "
            "a country code that does not start with 0"
        )
    return number


def try_normalize_phone(raw: str, *, default_country_code: str | None = None) -> str | None:
    """:func:`normalize_phone`, or None when ``raw`` is not a phone number (short codes,
    alphanumeric sender ids)."""
    try:
        return normalize_phone(raw, default_country_code=default_country_code)
    except InvalidPhoneNumber:
        return None


# GSM 03.38 default alphabet (one septet each) and its extension table (escape + septet).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class SmsSegments:
    """How an SMS body travels: its encoding, segment count and room left in the last one."""

    encoding: str  # "GSM-7" or "UCS-2"
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int  # capacity of each segment at this count (160/153 or 70/67)
    remaining: int  # units still free in the last segment


def _gsm_units(text: str) -> list[int] | None:
    units: list[int] = []
    for char in text:
        if char in _GSM_BASIC:
            units.append(1)
        elif char in _GSM_EXTENDED:
            units.append(2)
        else:
            return None
    return units


def sms_segments(text: str) -> SmsSegments:
    """Segments ``text`` takes as one SMS (0 for an empty text)."""
    gsm = _gsm_units(text)
    if gsm is not None:
        encoding, units, single, multi = "GSM-7", gsm, 160, 153
    else:
        encoding, single, multi = "UCS-2", 70, 67
        units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    total = sum(units)
    if total <= single:
        return SmsSegments(encoding, 1 if total else 0, total, single, single - total)
    segments, used = 1, 0
    for size in units:  # a character (escape pair, surrogate pair) never straddles segments
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SmsSegments(encoding, segments, total, multi, multi - used)
