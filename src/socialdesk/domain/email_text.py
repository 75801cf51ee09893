"""Email text rules without I/O: what of a reply the customer actually wrote, HTML as plain
text, and what counts as an email address.

:func:`trim_quoted` cuts the history that mail clients quote under (or interleave with) a
reply: the attribution line ("On Mon, 19 May 2025, Dana <dana@…> wrote:", also wrapped on two
lines and in a few other languages), Outlook's "-----Original Message-----" and its
"From:/Sent:/To:/Subject:" header block, lines quoted with ">", the "-- " signature and the
signatures that phones add ("Sent from my iPhone"). Forwarded messages are the customer's
content and are kept. When cutting would leave nothing, the text is kept whole: an agent had
better read a quote than an empty message.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = [
    "MAX_EMAIL_LENGTH",
    "html_to_text",
    "normalize_email_address",
    "trim_quoted",
]

# "On <date>, <name> wrote:" in the languages customers most often write in; Gmail wraps it
# over two lines when it is long, so it is matched on up to three joined lines.
_ATTRIBUTION_START = re.compile(r"^\s*(on|le|am|el|il|op|em)\s\S", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"((wrote|a écrit|escribió|ha scritto|schreef|escreveu)\s*:|schrieb\b.*:)\s*$", re.IGNORECASE
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_HEADER_LINE = re.compile(
    r"^\s*\*?(from|von|de|sent|date|gesendet|envoyé|to|an|à|subject|"
    r"betreff|objet|asunto|cc)\*?\s*:",
    re.IGNORECASE,
)
_FROM_LINE = re.compile(r"^\s*\*?(from|von|de)\*?\s*:", re.IGNORECASE)
_SUBJECT_LINE = re.compile(r"^\s*\*?(subject|betreff|objet|asunto)\*?\s*:", re.IGNORECASE)
_FORWARDED = re.compile(
    r"^\s*-{2,}\s*(forwarded message|begin forwarded message|weitergeleitete nachricht|"
    r"message transféré)\s*-*\s*:?\s*$|^\s*begin forwarded message\s*:\s*$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(sent from my \S.*|sent from (yahoo mail|outlook|mail|gmail|samsung|proton ?mail)\b.*|"
    r"get outlook for (ios|android)\b.*|sent via \S.*|sent with proton ?mail\b.*|"
    r"envoyé de mon \S.*|von meinem \S.* gesendet|enviado desde mi \S.*|inviato da \S.*)\s*$",
    re.IGNORECASE,
)

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit less the angle brackets
# A practical address check: one "@", a dot-atom local part (or a quoted one rejected: no
# customer gives one), a domain of LDH labels with a dot. Internationalized domains are
# accepted in Unicode; the mail server does the rest.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$", re.UNICODE)


def normalize_email_address(value: str) -> str:
    """``value`` as a lower-cased bare address; ``ValueError`` with the reason when it is not
    one (the detail an agent sees)."""
    address = value.strip()
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    if not address:
        raise ValueError("an email address is needed")
    if len(address) > MAX_EMAIL_LENGTH:
        raise ValueError(f"an email address has at most {MAX_EMAIL_LENGTH} characters")
    if any(c.isspace() or c in '<>(),;:"[]\\' for c in address):
        raise ValueError(f"{value!r} is not an email address: write it as name@example.com")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{value!r} is not an email address: it needs one '@' and a domain")
    if len(local) > 64 or not _LOCAL.match(local):
        raise ValueError(f"{value!r} is not an email address: its part before '@' is not valid")
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            f"{value!r} is not an email address: {domain!r} is not a domain like example.com"
        )
    if labels[-1].isdigit():
        raise ValueError(f"{value!r} is not an email address: {domain!r} is not a domain name")
    return f"{local}@{'.'.join(labels)}".lower()


def _is_attribution(lines: list[str], index: int) -> int:
    """How many lines the attribution starting at ``index`` spans (0: none)."""
    if not _ATTRIBUTION_START.match(lines[index]):
        return 0
    joined = ""
    for span in range(3):
        if index + span >= len(lines):
            break
        joined = f"{joined} {lines[index + span].strip()}".strip()
        if not lines[index + span].strip():
            break
        if _ATTRIBUTION_END.search(joined):
            return span + 1
    return 0


def _is_header_block(lines: list[str], index: int) -> bool:
    """An Outlook-style "From: / Sent: / To: / Subject:" block of a quoted message."""
    if not _FROM_LINE.match(lines[index]):
        return False
    block = lines[index : index + 6]
    headers = [line for line in block if _HEADER_LINE.match(line)]
    return len(headers) >= 3 and any(_SUBJECT_LINE.match(line) for line in block)


def _cut_at(lines: list[str]) -> int:
    """Index of the first line of quoted history (``len(lines)`` when there is none)."""
    forwarded = False
    for index, line in enumerate(lines):
        if _FORWARDED.match(line):
            forwarded = True  # the forwarded message's own headers are content, not history
            continue
        if _ORIGINAL_MESSAGE.match(line) or _is_attribution(lines, index):
            return index
        if (
            _UNDERSCORES.match(line)
            and index + 1 < len(lines)
            and _FROM_LINE.match(lines[index + 1])
        ):
            return index
        if not forwarded and _is_header_block(lines, index):
            return index
        if _SIGNATURE_DELIMITER.match(line):
            return index
    return len(lines)


def trim_quoted(text: str) -> str:
    """The part of an email body its sender wrote (see the module's description)."""
    original = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = original.split("\n")
    lines = lines[: _cut_at(lines)]
    kept = [line for line in lines if not line.lstrip().startswith(">")]
    # Phone signatures: the last non-empty lines only (the same words mid-text are content).
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and _MOBILE_SIGNATURE.match(kept[-1]):
        kept.pop()
        while kept and not kept[-1].strip():
            kept.pop()
    result = _squeeze_blank_lines(kept)
    if not result:
        return _squeeze_blank_lines(original.split("\n"))
    return result


def _squeeze_blank_lines(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "fieldset",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"head", "script", "style", "title", "template"})
# Private-use characters marking where a <blockquote> opens and closes in the extracted text.
_QUOTE_START, _QUOTE_END = "\ue000", "\ue001"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append(f"\n{_QUOTE_START}\n" if tag == "blockquote" else "\n")
            if tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(f"\n{_QUOTE_END}\n" if tag == "blockquote" else "\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data.replace(_QUOTE_START, "").replace(_QUOTE_END, ""))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: blocks and ``<br>`` as line breaks, scripts and
    styles dropped, ``<blockquote>`` content prefixed with "> " (quoted history)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    depth = 0
    lines: list[str] = []
    for line in "".join(parser.parts).split("\n"):
        if line == _QUOTE_START:
            depth += 1
        elif line == _QUOTE_END:
            depth = max(0, depth - 1)
        elif depth and line.strip():
            # Quoted history in HTML mail, marked as such so that trim_quoted drops it.
            lines.append("> " * depth + line.strip())
        else:
            lines.append(line.strip())
    return _squeeze_blank_lines(lines)
