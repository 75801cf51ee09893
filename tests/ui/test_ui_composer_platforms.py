"""The composer per platform: the audiences it offers, who they reach, the length limit and its
counter (SMS: characters and segments), "Move to DM" links, refusals by the platform's send
window shown in the composer, WhatsApp templates, and failed deliveries with their reason.

One module world (SQLite and PostgreSQL) gets an account of every platform and a customer
conversation on each, written through the ingest pipeline; agents use the real pages through
TestClient, signed in with the /login form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from ui_support import World, changed_tables, sign_in, snapshot

from socialdesk.domain.phone import sms_segments
from socialdesk.domain.platforms import audience_line, platform
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.services.channel_accounts import connect_account
from socialdesk.store.models import Message

HTMX = {"HX-Request": "true"}
TEMPLATES = [
    {
        "name": "order_update",
        "language": "en_US",
        "parameters": 2,
        "text": "Hi {{1}}, your order {{2}} has shipped.",
    },
    {"name": "follow_up", "language": "en_US", "text": "Are you still there, {{1}}?"},
]
# platform -> (connection values besides required dummies, the brand's handle)
ACCOUNTS: dict[str, dict[str, str]] = {
    "twitter": {"handle": "acme", "external_id": "2244994945"},
    "facebook": {"handle": "acmepage", "external_id": "448242228374517"},
    "instagram": {"handle": "acme.ig", "external_id": "17841400000000000"},
    "whatsapp": {
        "handle": "15550783881",
        "external_id": "106540352242922",
        "templates": json.dumps(TEMPLATES),
    },
    "telegram": {"handle": "acme_care_bot"},
    "sms": {"handle": "+14155550100", "external_id": "+14155550100"},
    "email": {"handle": "help@acme.test", "smtp_host": "127.0.0.1"},
    "webchat": {"handle": "acme-website", "allowed_origins": "https://www.acme.test"},
    "reddit": {"handle": "acme_official", "subreddits": "acme"},
    "youtube": {"handle": "acme", "external_id": "UC0000000000000000000000"},
}
# platform -> the customer's identity (external id, handle) and the kinds of messages written
CUSTOMERS: dict[str, tuple[str, str, tuple[Visibility, ...]]] = {
    "twitter": ("3001", "dana_x", (Visibility.PUBLIC, Visibility.PRIVATE)),
    "facebook": ("fb-77", "Dana Fb", (Visibility.PUBLIC, Visibility.PRIVATE)),
    "instagram": ("ig-77", "dana.ig", (Visibility.PUBLIC, Visibility.PRIVATE)),
    "whatsapp": ("16505551234", "16505551234", (Visibility.PRIVATE,)),
    "telegram": ("1111", "dana_tg", (Visibility.PRIVATE,)),
    "sms": ("+16505550199", "+16505550199", (Visibility.PRIVATE,)),
    "email": ("dana@example.com", "dana@example.com", (Visibility.PRIVATE,)),
    "webchat": ("visitor-1", "Visitor", (Visibility.PRIVATE,)),
    "reddit": ("t2_dana", "dana_r", (Visibility.PUBLIC,)),
    "youtube": ("UCdana", "Dana", (Visibility.PUBLIC,)),
}
EXPECTED = {  # platform -> (public limit, private limit, "Move to DM" link)
    "twitter": (280, 10_000, "https://x.com/messages/compose?recipient_id=2244994945"),
    "facebook": (8_000, 2_000, "https://m.me/acmepage"),
    "instagram": (2_200, 1_000, "https://ig.me/m/acme.ig"),
    "whatsapp": (None, 4_096, None),
    "telegram": (None, 4_096, None),  # t.me exists, but a private-only composer needs no link
    "sms": (None, 1_600, None),
    "email": (None, None, None),
    "webchat": (None, 4_000, None),
    "reddit": (10_000, None, None),
    "youtube": (10_000, None, None),
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str, tag: str, **match: str) -> list[dict[str, str]]:
    """Attributes of every ``tag`` whose attributes include ``match`` (``_`` for ``-``)."""
    parser = _Elements()
    parser.feed(html)
    wanted = {k.replace("_", "-"): v for k, v in match.items()}
    return [
        attrs
        for name, attrs in parser.found
        if name == tag and all(attrs.get(k) == v for k, v in wanted.items())
    ]


def composer_form(html: str) -> dict[str, str]:
    forms = elements(html, "form", id="composer")
    assert len(forms) == 1, html
    return forms[0]


def offered_modes(html: str) -> set[str]:
    return {a["value"] for a in elements(html, "input", type="radio", name="mode")}


@dataclass
class Desk:
    world: World
    client: TestClient
    csrf: str
    accounts: dict[str, int]
    conversations: dict[str, int]  # platform (or a label) -> conversation id

    def pane(self, conversation_id: int) -> str:
        response = self.client.get(f"/conversations/{conversation_id}", headers=HTMX)
        assert response.status_code == 200, response.text
        return response.text

    def send(self, conversation_id: int, **form: Any) -> Any:
        data = {"seen_outbound_id": "0", **form}
        return self.client.post(
            f"/conversations/{conversation_id}/send",
            data=data,
            headers={**HTMX, "X-CSRF-Token": self.csrf},
        )


def _values(spec: Any, given: dict[str, str]) -> dict[str, str]:
    values = dict(given)
    for key in spec.keys:
        if key.required and key.name not in values:
            values[key.name] = f"test-{key.name}"
    return values


def _write(
    world: World,
    platform_key: str,
    account_id: int,
    customer: tuple[str, str, tuple[Visibility, ...]],
    *,
    at: datetime,
) -> int:
    external_id, handle, kinds = customer
    author = Author(external_id=external_id, handle=handle, name=f"Dana on {platform_key}")
    events = [
        InboundEvent(
            platform=platform_key,
            platform_message_id=f"{platform_key}-{external_id}-{n}",
            author=author,
            text=f"My router is blinking ({visibility.value})",
            platform_time=at + timedelta(seconds=n),
            visibility=visibility,
            channel_account_id=account_id,
        )
        for n, visibility in enumerate(kinds)
    ]
    with world.app.db.session() as session:
        ingest_batch(session, world.workspace_id, events)
    with world.app.db.read_session() as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(
                Message.platform_message_id == events[0].platform_message_id
            )
        )
    assert conversation_id is not None
    return int(conversation_id)


@pytest.fixture(scope="module")
def desk(shared_world: World) -> Iterator[Desk]:
    world = shared_world
    now = datetime.now(UTC)
    accounts: dict[str, int] = {}
    with world.app.db.session() as session:
        for key, given in ACCOUNTS.items():
            spec = world.app.channels[key].connection
            accounts[key] = connect_account(
                session,
                world.workspace_id,
                spec,
                name=f"Acme {key}",
                values=_values(spec, given),
                cipher=world.app.cipher,
            ).id
    conversations = {
        key: _write(world, key, accounts[key], CUSTOMERS[key], at=now - timedelta(minutes=5))
        for key in ACCOUNTS
    }
    # A WhatsApp customer whose last message is two days old: outside the 24-hour window.
    conversations["whatsapp-late"] = _write(
        world,
        "whatsapp",
        accounts["whatsapp"],
        ("16505550000", "16505550000", (Visibility.PRIVATE,)),
        at=now - timedelta(days=2),
    )
    conversations["whatsapp-template"] = _write(
        world,
        "whatsapp",
        accounts["whatsapp"],
        ("16505550001", "16505550001", (Visibility.PRIVATE,)),
        at=now - timedelta(days=3),
    )
    client = TestClient(world.api, follow_redirects=False)
    yield Desk(world, client, sign_in(client, world.emails["agent"]), accounts, conversations)


# ---------------------------------------------------------------- what the composer offers


@pytest.mark.parametrize("key", sorted(ACCOUNTS))
def test_composer_offers_the_platforms_audiences_limits_and_dm_link(desk: Desk, key: str) -> None:
    html = desk.pane(desk.conversations[key])
    public_limit, private_limit, link = EXPECTED[key]
    expected_modes = {"note"}
    if public_limit is not None:
        expected_modes.add("public")
    if private_limit is not None or key == "email":
        expected_modes.add("private")
    assert offered_modes(html) == expected_modes
    form = composer_form(html)
    assert form["data-platform"] == key
    assert form["data-limit-public"] == (str(public_limit) if public_limit else "")
    assert form["data-limit-private"] == (str(private_limit) if private_limit else "")
    dm_buttons = elements(html, "button")
    links = [b["data-move-to-dm"] for b in dm_buttons if "data-move-to-dm" in b]
    assert links == ([link] if link else [])
    audience = elements(html, "p", id="audience")[0]
    for mode in expected_modes - {"note"}:
        assert audience[f"data-{mode}"].startswith(mode.capitalize()), audience
    assert ("data-public" in audience) == ("public" in expected_modes)
    assert ("data-private" in audience) == ("private" in expected_modes)


@pytest.mark.parametrize(
    ("key", "mode", "expected"),
    [
        ("twitter", "public", "Public reply on X: visible to everyone, @dana_x has 0 followers"),
        ("twitter", "private", "Private direct message on X: only @dana_x sees it"),
        ("facebook", "public", "Public comment reply on Facebook: visible to everyone"),
        ("facebook", "private", "Private Messenger message: only Dana Fb sees it"),
        ("instagram", "private", "Private Instagram direct message: only @dana.ig sees it"),
        ("whatsapp", "private", "Private WhatsApp message: only +16505551234 sees it"),
        ("sms", "private", "Private text message: only +16505550199 sees it"),
        ("email", "private", "Private email: only dana@example.com sees it"),
        ("reddit", "public", "Public Reddit comment: visible to everyone"),
        ("youtube", "public", "Public YouTube comment reply: visible to everyone"),
    ],
)
def test_audience_line_names_who_the_reply_reaches(
    desk: Desk, key: str, mode: str, expected: str
) -> None:
    audience = elements(desk.pane(desk.conversations[key]), "p", id="audience")[0]
    assert audience[f"data-{mode}"].startswith(expected), audience[f"data-{mode}"]


@pytest.mark.parametrize("key", ["whatsapp", "telegram", "sms", "email", "webchat"])
def test_private_only_platforms_open_on_private(desk: Desk, key: str) -> None:
    html = desk.pane(desk.conversations[key])
    checked = [a for a in elements(html, "input", type="radio", name="mode") if "checked" in a]
    assert [a["value"] for a in checked] == ["private"]


@pytest.mark.parametrize("key", ["reddit", "youtube"])
def test_public_only_platforms_never_preselect_the_public_audience(desk: Desk, key: str) -> None:
    html = desk.pane(desk.conversations[key])
    assert not [a for a in elements(html, "input", type="radio", name="mode") if "checked" in a]


def test_sms_composer_counts_segments_with_the_servers_alphabet(desk: Desk) -> None:
    form = composer_form(desk.pane(desk.conversations["sms"]))
    assert form["data-counter"] == "sms"
    basic, extended = form["data-gsm-basic"], form["data-gsm-extended"]
    assert {"@", "£", "\n", "é", "Ä", "a", "Z", "0"} <= set(basic)
    assert set(extended) == set("^{}\\[~]|€\f")
    for char in "€ł😀ç":  # what domain.phone counts as non-GSM must not be in the basic set
        assert (char in basic) == (sms_segments(char).encoding == "GSM-7" and char not in extended)
    assert form["data-limit-private"] == "1600"
    non_sms = composer_form(desk.pane(desk.conversations["whatsapp"]))
    assert non_sms["data-counter"] == "characters" and "data-gsm-basic" not in non_sms


def test_sms_draft_kept_after_a_refusal_shows_characters_and_segments(desk: Desk) -> None:
    before = snapshot(desk.world.app)
    text = "Your refund is on its way ✓ " * 60 + "ok"  # UCS-2 (✓), 1,682 characters
    response = desk.send(desk.conversations["sms"], mode="private", text=text)
    assert response.status_code == 422, response.text
    assert "Too long for a text message: 1,682 characters, SMS takes 1,600 at most." in (
        response.text
    )
    counted = sms_segments(text)
    assert counted.encoding == "UCS-2" and counted.segments > 1
    expected = f"{len(text)} / 1600 · {counted.segments} SMS segments (UCS-2)"
    assert f'id="counter" aria-live="polite">{expected}</span>' in response.text
    assert changed_tables(before, snapshot(desk.world.app)) == []


# ---------------------------------------------------------------- what the send route refuses


@pytest.mark.parametrize(
    ("key", "mode", "message"),
    [
        ("whatsapp", "public", "WhatsApp has no public replies here: it takes private replies"),
        ("email", "public", "Email has no public replies here"),
        ("reddit", "private", "Reddit has no private replies here: it takes public replies only"),
        ("youtube", "private", "YouTube has no private replies here"),
    ],
)
def test_send_refuses_an_audience_the_platform_does_not_have(
    desk: Desk, key: str, mode: str, message: str
) -> None:
    before = snapshot(desk.world.app)
    response = desk.send(desk.conversations[key], mode=mode, text="We are looking into it.")
    assert response.status_code == 422, response.text
    assert message in response.text
    assert "We are looking into it." in response.text  # the draft is kept
    assert changed_tables(before, snapshot(desk.world.app)) == []


@pytest.mark.parametrize(
    ("key", "mode", "limit", "kind"),
    [
        ("facebook", "private", 2_000, "Messenger message"),
        ("instagram", "private", 1_000, "Instagram direct message"),
        ("twitter", "public", 280, "reply on X"),
        ("webchat", "private", 4_000, "web chat message"),
        ("whatsapp", "private", 4_096, "WhatsApp message"),
    ],
)
def test_send_refuses_a_text_longer_than_the_platform_takes(
    desk: Desk, key: str, mode: str, limit: int, kind: str
) -> None:
    before = snapshot(desk.world.app)
    response = desk.send(desk.conversations[key], mode=mode, text="x" * (limit + 1))
    assert response.status_code == 422, response.text
    assert f"Too long for a {kind}: {limit + 1:,} characters" in response.text
    assert changed_tables(before, snapshot(desk.world.app)) == []


def test_limits_match_the_domain_rules() -> None:
    for key, (public_limit, private_limit, _link) in EXPECTED.items():
        limits = platform(key).limits
        assert (limits.public, limits.private) == (public_limit, private_limit), key


def test_send_window_refusal_is_shown_in_the_composer_with_the_draft(desk: Desk) -> None:
    before = snapshot(desk.world.app)
    conversation_id = desk.conversations["whatsapp-late"]
    response = desk.send(conversation_id, mode="private", text="Sorry for the wait!")
    assert response.status_code == 409, response.text
    assert response.text.lstrip().startswith('<div id="conversation-pane"')
    refused = response.text.split("data-refused>", 1)[1].split("</div>\n", 2)
    shown = unescape(" ".join(refused[:2]))
    assert "Not sent: WhatsApp does not allow this message now." in shown
    assert "outside WhatsApp's 24-hour customer service window" in shown
    assert "Sorry for the wait!" in response.text  # what the agent wrote is still there
    details = elements(response.text, "details", id="wa-templates")
    assert details and "open" in details[0]  # the way out is offered at once
    assert changed_tables(before, snapshot(desk.world.app)) == []


# ---------------------------------------------------------------- WhatsApp templates


def test_whatsapp_composer_offers_templates_with_parameter_inputs(desk: Desk) -> None:
    html = desk.pane(desk.conversations["whatsapp"])
    forms = elements(html, "form", **{"class": "stack wa-template"})
    assert [f["data-template"] for f in forms] == ["order_update", "follow_up"]
    params = elements(html, "input", name="template_param")
    assert len(params) == 2 + 1  # order_update declares 2, follow_up's text has {{1}}
    assert "Hi {{1}}, your order {{2}} has shipped." in html
    for key in ("sms", "email", "twitter"):  # no template form elsewhere
        assert 'id="wa-templates"' not in desk.pane(desk.conversations[key])


def test_template_is_sent_outside_the_window_through_the_reply_service(desk: Desk) -> None:
    conversation_id = desk.conversations["whatsapp-template"]
    response = desk.send(
        conversation_id,
        mode="private",
        template_name="order_update",
        template_language="en_US",
        template_param=["Dana", "#4411"],
    )
    assert response.status_code == 200, response.text
    with desk.world.app.db.read_session() as session:
        sent = session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.direction == "out"
            )
        ).all()
    assert len(sent) == 1
    assert sent[0].visibility == "private"
    assert sent[0].text == "Hi Dana, your order #4411 has shipped."
    assert sent[0].attachments == [
        {
            "type": "template",
            "name": "order_update",
            "language": "en_US",
            "parameters": ["Dana", "#4411"],
        }
    ]
    assert sent[0].delivery_state == "queued"
    assert "Hi Dana, your order #4411 has shipped." in response.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"template_name": "order_update", "template_param": ["Dana"]},
            "template order_update needs 2 parameter(s), each filled in",
        ),
        (
            {"template_name": "order_update", "template_param": ["Dana", "  "]},
            "template order_update needs 2 parameter(s), each filled in",
        ),
        (
            {"template_name": "refund_done", "template_param": []},
            "refund_done (en_US) is not one of this account&#39;s approved templates",
        ),
    ],
)
def test_template_with_bad_parameters_is_refused_inline(
    desk: Desk, form: dict[str, Any], message: str
) -> None:
    before = snapshot(desk.world.app)
    response = desk.send(
        desk.conversations["whatsapp-late"], mode="private", template_language="en_US", **form
    )
    assert response.status_code == 422, response.text
    assert message in response.text
    assert changed_tables(before, snapshot(desk.world.app)) == []


def test_template_outside_whatsapp_is_refused(desk: Desk) -> None:
    before = snapshot(desk.world.app)
    response = desk.send(
        desk.conversations["sms"],
        mode="private",
        template_name="order_update",
        template_language="en_US",
        template_param=["a", "b"],
    )
    assert response.status_code == 422, response.text
    assert "templates are sent only in WhatsApp conversations" in response.text
    assert changed_tables(before, snapshot(desk.world.app)) == []


# ---------------------------------------------------------------- failed deliveries


def test_failed_delivery_shows_the_platforms_reason_on_the_message(desk: Desk) -> None:
    conversation_id = desk.conversations["telegram"]
    response = desk.send(conversation_id, mode="private", text="Could you restart it?")
    assert response.status_code == 200, response.text
    reason = "Telegram refused sendMessage: 403 Forbidden: bot was blocked by the user"
    with desk.world.app.db.session() as session:
        message = session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.direction == "out"
            )
        ).one()
        message.delivery_state, message.delivery_error = "failed", reason
        message_id = message.id
    html = desk.pane(conversation_id)
    article = html.split(f'id="message-{message_id}"', 1)[1].split("</article>", 1)[0]
    assert 'data-delivery="failed"' in article
    assert f"Not delivered: {reason}" in article


def test_audience_lines_come_from_the_domain(desk: Desk) -> None:
    audience = elements(desk.pane(desk.conversations["telegram"]), "p", id="audience")[0]
    assert audience["data-private"] == audience_line("telegram", "private", handle="dana_tg")


# ---------------------------------------------------------------- the live counter in a browser

SMS_TEXTS = [
    "",
    "a" * 160,
    "a" * 161,
    "€" * 80,  # extension characters take two septets
    "€" * 81,
    "ł" * 70,  # not GSM: UCS-2
    "ł" * 71,
    "😀" * 35,  # surrogate pairs take two UTF-16 units
    "😀" * 36,
    "é" * 153 + "^",  # a two-septet character never straddles segments
    "Your refund ✓ " * 30,
]


@pytest.mark.browser
def test_app_js_counts_sms_segments_as_the_server_does(page: Any) -> None:
    from pathlib import Path

    from socialdesk.web.ui.pages.actions import gsm_alphabet

    script = Path(__file__).parents[2] / "src/socialdesk/web/ui/static/app.js"
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=script.read_text(encoding="utf-8"))
    basic, extended = gsm_alphabet()
    for text in SMS_TEXTS:
        counted = sms_segments(text)
        got = page.evaluate(
            "([t, b, e]) => window.socialdesk.smsSegments(t, b, e)", [text, basic, extended]
        )
        assert got == {"encoding": counted.encoding, "segments": counted.segments}, text
