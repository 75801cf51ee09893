"""The web chat widget in a real browser: a page of another local origin includes the
widget's script with one tag; the visitor writes, the conversation shows in the REST API, an
agent answers through the API and the answer appears in the widget without a reload. Offline,
the widget asks for an email address and the address joins the visitor's contact."""

from __future__ import annotations

import http.server
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from ui_support import LiveServer, poll_until

from socialdesk.channels.webchat import CONNECTION
from socialdesk.services.accounts import create_token, create_user
from socialdesk.services.channel_accounts import connect_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import User

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body><h1>Acme shop</h1><p>Our products.</p>
<script src="{src}" async></script></body></html>
"""


@pytest.fixture(autouse=True)
def _patient_expect() -> None:
    expect.set_options(timeout=10_000)


@dataclass
class Shop:
    """A site on its own origin (another port of 127.0.0.1) that embeds the widget."""

    origin: str
    html: dict[str, str]


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    html: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.get(self.path.split("?")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Shop(f"http://127.0.0.1:{port}", html)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Site:
    live: LiveServer
    shop: Shop
    page_path: str
    workspace_id: int
    account_id: int
    agent_id: int
    token: str

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.live.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def set_online(self, online: bool) -> None:
        with self.live.app.db.session() as session:
            session.execute(
                update(User)
                .where(User.id == self.agent_id)
                .values(availability="online" if online else "offline")
            )

    def conversation_with(self, text: str) -> dict[str, Any] | None:
        with self.api() as api:
            for item in api.get("/conversations").json()["items"]:
                detail: dict[str, Any] = api.get(f"/conversations/{item['id']}").json()
                if any(m["text"] == text for m in detail["messages"]):
                    return detail
        return None


@pytest.fixture
def site(live: LiveServer, shop: Shop) -> Site:
    slug = f"t{uuid.uuid4().hex[:8]}"
    with live.app.db.session() as session:
        workspace_id = get_or_create_workspace(session, slug).id
        agent_id = create_user(session, workspace_id, email=f"ana@{slug}.test", name="Ana").id
        token = create_token(session, workspace_id, name="browser", user_id=agent_id).secret
        account_id = connect_account(
            session,
            workspace_id,
            CONNECTION,
            name="Acme shop",
            values={
                "handle": f"{slug}-shop",
                "allowed_origins": shop.origin,
                "title": "Chat with Acme",
                "greeting": "Hi! Ask us anything.",
                "followup_email": "care@acme.example",
            },
            cipher=live.app.cipher,
        ).id
    path = f"/{slug}.html"
    shop.html[path] = PAGE.format(src=f"{live.url}/widget/{account_id}.js")
    return Site(live, shop, path, workspace_id, account_id, agent_id, token)


def open_chat(page: Page, site: Site) -> None:
    page.goto(site.shop.origin + site.page_path)
    launcher = page.get_by_role("button", name="Chat with Acme")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("dialog", name="Chat with Acme")).to_be_visible()
    expect(page.get_by_text("Hi! Ask us anything.")).to_be_visible()
    # A new visitor starts at the first field of the form.
    expect(page.get_by_label("Your name (optional)")).to_be_focused()


def test_a_visitor_chats_live_with_an_agent(page: Page, site: Site) -> None:
    site.set_online(True)
    open_chat(page, site)
    page.get_by_label("Your name (optional)").fill("Dana Kim")
    message = page.get_by_label("Your message")
    message.fill("Hello! Is the blue kettle in stock?")
    message.press("Enter")
    log = page.get_by_role("log", name="Messages")
    expect(log.locator(".sd-in", has_text="Is the blue kettle in stock?")).to_be_visible()
    expect(log.locator(".sd-pending")).to_have_count(0)

    detail = poll_until(
        lambda: site.conversation_with("Hello! Is the blue kettle in stock?"),
        what="the visitor's conversation in the REST API",
    )
    assert detail["contact"]["name"] == "Dana Kim"
    assert [(m["direction"], m["visibility"]) for m in detail["messages"]] == [("in", "private")]
    with site.api() as api:
        response = api.post(
            f"/conversations/{detail['id']}/replies",
            json={"text": "Yes, we have 12 left!", "visibility": "private"},
        )
        assert response.status_code in (200, 201, 202), response.text
        reply_id = response.json()["id"]

    # Live, without a reload; announced by the log region.
    expect(log.locator(".sd-out", has_text="Yes, we have 12 left!")).to_be_visible()

    def state() -> str | None:
        with site.api() as api:
            messages = api.get(f"/conversations/{detail['id']}").json()["messages"]
        found = next(m["delivery_state"] for m in messages if m["id"] == reply_id)
        return found if found == "read" else None

    poll_until(state, what="the reply to be marked read (shown in the open panel)")

    # Escape closes the panel and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Chat with Acme")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with Acme")).to_be_focused()

    # The session survives a reload (localStorage): the transcript comes back.
    page.reload()
    page.get_by_role("button", name="Chat with Acme").click()
    expect(log.locator(".sd-out", has_text="Yes, we have 12 left!")).to_be_visible()
    expect(log.locator(".sd-in", has_text="Is the blue kettle in stock?")).to_have_count(1)


def test_offline_the_widget_asks_for_an_email_address(page: Page, site: Site) -> None:
    open_chat(page, site)
    expect(page.get_by_text("No one is available to chat right now")).to_be_visible()
    expect(page.get_by_text("care@acme.example")).to_be_visible()
    message = page.get_by_label("Your message")
    message.fill("Please call me back about my order 1234")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Please leave your email address so that we can answer you."
    )
    expect(page.get_by_label("Your email (needed for our answer)")).to_be_focused()
    page.get_by_label("Your email (needed for our answer)").fill("eli@example.org")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("We will answer you by email at eli@example.org")).to_be_visible()

    detail = poll_until(
        lambda: site.conversation_with("Please call me back about my order 1234"),
        what="the offline message in the REST API",
    )
    identities = {(i["platform"], i["external_id"]) for i in detail["contact"]["identities"]}
    assert ("email", "eli@example.org") in identities
    assert any(e["type"] == "webchat.email_followup" for e in detail["events"])
