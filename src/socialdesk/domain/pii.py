"""Personal data in text: emails, phone numbers, payment cards (Luhn-checked), and order or
account numbers by configurable patterns. Used to stop public replies that would leak them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DEFAULT_REFERENCE_PATTERNS", "PiiFinding", "find_pii", "luhn_valid"]

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Digit runs with the separators people type in numbers: spaces, dots, dashes, parentheses.
_NUMBER = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().\-/]{5,}\d(?![\w])")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}$")
_NON_DIGIT = re.compile(r"\D")
_PHONE_SEPARATORS = re.compile(r"[ \t().\-/]+")
# Cheap necessary conditions, checked before the scans: an e-mail address has a character of
# its local part right before its "@"; numbers and the default references need a digit.
_EMAIL_HINT = re.compile(r"[\w.+-]@")
_DIGIT = re.compile(r"\d")

# Order, account and booking references: a keyword, then an identifier with at least 4 digits.
DEFAULT_REFERENCE_PATTERNS: tuple[str, ...] = (
    r"(?i)\b(?:order|account|acct|booking|reservation|invoice|ticket|case|tracking|"
    r"confirmation|reference|ref|customer|member)\b(?:\s*(?:no\.?|num(?:ber)?|id|#|:))*"
    r"(?:\s+(?:is|was|=))?\s*#?\s*(?=[A-Z0-9-]*\d{4})([A-Z0-9][A-Z0-9-]{3,24})\b",
    r"(?<![\w#])#(?=[A-Z0-9-]*\d{5})([A-Z0-9][A-Z0-9-]{4,24})\b",
)
# Every default reference pattern requires a digit (``\d{4}``, ``\d{5}``).
_DEFAULT_REFERENCES: tuple[re.Pattern[str], ...] = tuple(
    map(re.compile, DEFAULT_REFERENCE_PATTERNS)
)


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A workspace's reference patterns, compiled once (not looked up again for every text)."""
    return tuple(map(re.compile, patterns))


@dataclass(frozen=True, slots=True)
class PiiFinding:
    kind: str  # email, phone, card, reference
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        visible = self.text[-4:] if self.kind in ("card", "phone", "reference") else ""
        return "•" * max(0, len(self.text) - len(visible)) + visible


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def find_pii(
    text: str, *, reference_patterns: Iterable[str] = DEFAULT_REFERENCE_PATTERNS
) -> list[PiiFinding]:
    """Every piece of personal data found in ``text``, in reading order."""
    findings: list[PiiFinding] = []
    taken: list[tuple[int, int]] = []
    if reference_patterns is DEFAULT_REFERENCE_PATTERNS:
        references = _DEFAULT_REFERENCES
        need_digit = True
    else:
        references = _compiled(tuple(reference_patterns))
        need_digit = False
    has_at = "@" in text
    has_digit = _DIGIT.search(text) is not None
    if not has_digit and (need_digit or not references) and not has_at:
        return findings

    def add(kind: str, start: int, end: int) -> None:
        findings.append(PiiFinding(kind, start, end, text[start:end]))
        taken.append((start, end))

    if has_at and _EMAIL_HINT.search(text):
        for match in _EMAIL.finditer(text):
            add("email", match.start(), match.end())
    for match in _NUMBER.finditer(text) if has_digit else ():
        start, end = match.span()
        raw = match.group(0).rstrip(" .-/")
        end = start + len(raw)
        if _overlaps(start, end, taken) or _DATE.match(raw) or _TIME.match(raw):
            continue
        digits = _NON_DIGIT.sub("", raw)
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            add("card", start, end)
        elif 7 <= len(digits) <= 15 and (raw.startswith("+") or _looks_like_phone(raw, digits)):
            add("phone", start, end)
    for pattern in references if has_digit or not need_digit else ():
        for match in pattern.finditer(text):
            group = 1 if match.groups() else 0
            start, end = match.span(group)
            if not _overlaps(start, end, taken):
                add("reference", start, end)
    findings.sort(key=lambda f: f.start)
    return findings


def _looks_like_phone(raw: str, digits: str) -> bool:
    """Separated digit groups or a long run; rules out amounts like 1.000.000 and years."""
    if len(digits) >= 10:
        return True
    groups = _PHONE_SEPARATORS.split(raw.strip("()"))
    return len(digits) >= 7 and len([g for g in groups if g]) >= 2 and "." not in raw
