"""Quote trimming, HTML to text and address checks (socialdesk.domain.email_text)."""

from __future__ import annotations

import pytest

from socialdesk.domain.email_text import html_to_text, normalize_email_address, trim_quoted


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Thanks, it works!\n\nOn Mon, 19 May 2025 at 14:05, Acme <care@acme.example> wrote:\n"
            "> We reset it.\n> Acme",
            "Thanks, it works!",
            id="gmail one-line attribution",
        ),
        pytest.param(
            "Thanks!\n\nOn Mon, May 19, 2025 at 2:05 PM Acme Care <\ncare@acme.example> wrote:\n"
            "\n> old text",
            "Thanks!",
            id="gmail attribution wrapped over two lines",
        ),
        pytest.param(
            "Still broken.\n\n-----Original Message-----\nFrom: Acme\nSent: Monday\n\nold",
            "Still broken.",
            id="outlook original message",
        ),
        pytest.param(
            "Refund received.\n\n________________________________\nFrom: Acme Care\n"
            "Sent: Monday, May 19, 2025 5:50 PM\nTo: Dana\nSubject: Re: Billing\n\nold",
            "Refund received.",
            id="outlook underscore header block",
        ),
        pytest.param(
            "Got it.\n\nFrom: Acme Care <care@acme.example>\nDate: Monday\nTo: Dana\n"
            "Subject: Re: Billing\n\nold",
            "Got it.",
            id="header block without a rule",
        ),
        pytest.param(
            "Perfect.\n\nSent from my iPhone\n\n> On 19 May 2025, at 17:55, Acme wrote:\n> old",
            "Perfect.",
            id="iphone signature and quote",
        ),
        pytest.param(
            "On it, thanks\n\nGet Outlook for Android", "On it, thanks", id="outlook mobile"
        ),
        pytest.param(
            "Merci beaucoup\n\nEnvoyé de mon iPhone\n\nLe 19 mai 2025 à 17:55, Acme a écrit :\n"
            "> ancien",
            "Merci beaucoup",
            id="french client",
        ),
        pytest.param(
            "Danke!\n\nAm 19.05.2025 um 17:55 schrieb Acme Care <care@acme.example>:\n> alt",
            "Danke!",
            id="german client",
        ),
        pytest.param(
            "Gracias\n\nEl lun, 19 may 2025 a las 17:55, Acme escribió:\n> viejo",
            "Gracias",
            id="spanish client",
        ),
        pytest.param(
            "> Is your router on?\nYes it is.\n> And the light?\nBlinking orange.",
            "Yes it is.\nBlinking orange.",
            id="inline answers between quotes",
        ),
        pytest.param(
            "My number is below.\n\n-- \nDana K\n+1 415 555 0100",
            "My number is below.",
            id="signature delimiter",
        ),
        pytest.param(
            "I sent it from my iPhone yesterday, Sent from my iPhone is in the footer.",
            "I sent it from my iPhone yesterday, Sent from my iPhone is in the footer.",
            id="signature words inside a sentence stay",
        ),
        pytest.param(
            "See this.\n\n---------- Forwarded message ---------\nFrom: Acme Shop <shop@acme>\n"
            "Date: Thu\nSubject: Shipped\nTo: <dana@example.com>\n\nYour order is on its way.",
            "See this.\n\n---------- Forwarded message ---------\nFrom: Acme Shop <shop@acme>\n"
            "Date: Thu\nSubject: Shipped\nTo: <dana@example.com>\n\nYour order is on its way.",
            id="forwarded message kept",
        ),
        pytest.param(
            "line one\r\nline two\r\n\r\n\r\n\r\nline three\r\n",
            "line one\nline two\n\nline three",
            id="crlf and blank runs",
        ),
        pytest.param(
            "> only a quote\n> nothing new",
            "> only a quote\n> nothing new",
            id="all quoted: kept whole rather than emptied",
        ),
        pytest.param("", "", id="empty"),
    ],
)
def test_trim_quoted(body: str, expected: str) -> None:
    assert trim_quoted(body) == expected


def test_html_to_text_keeps_blocks_and_drops_styles_and_scripts() -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<script>alert(1)</script><p>Hello&nbsp;there,</p><p>line <b>one</b><br>line two</p>"
        "<ul><li>first</li><li>second</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
        "</body></html>"
    )
    assert html_to_text(html) == "Hello there,\n\nline one\nline two\n\n- first\n\n- second\n\na b"


def test_html_blockquotes_become_quoted_lines_that_trimming_drops() -> None:
    html = (
        "<div>Thanks, it works.</div><div class='gmail_quote'>"
        "<blockquote><p>We reset it.</p><blockquote>Is it on?</blockquote></blockquote></div>"
    )
    text = html_to_text(html)
    assert text == "Thanks, it works.\n\n> We reset it.\n\n> > Is it on?"
    assert trim_quoted(text) == "Thanks, it works."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Dana.K@Example.COM", "dana.k@example.com"),
        ("  dana+care@example.co.uk ", "dana+care@example.co.uk"),
        ("mailto:dana@example.com", "dana@example.com"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("ana@bücher.example", "ana@bücher.example"),
    ],
)
def test_valid_addresses_are_lower_cased(value: str, expected: str) -> None:
    assert normalize_email_address(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "dana",
        "dana@",
        "@example.com",
        "dana@example",
        "dana@@example.com",
        "dana k@example.com",
        "Dana <dana@example.com>",
        "dana..k@example.com",
        ".dana@example.com",
        "dana@-example.com",
        "dana@example..com",
        "dana@1.2.3.4",
        "x" * 65 + "@example.com",
        "dana@" + "a" * 250 + ".com",
    ],
)
def test_invalid_addresses_are_refused_with_a_reason(value: str) -> None:
    with pytest.raises(ValueError, match="email address"):
        normalize_email_address(value)
