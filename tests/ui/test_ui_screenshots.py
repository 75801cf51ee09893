"""Screenshots of the agent workspace with lived-in data, for the documentation.

The demo generator fills a fresh SQLite database (its team, two brand accounts and a few dozen
conversations made through the real services); Chromium at 1440x900 signs in as one of the
demo agents and writes docs/screenshots/inbox.png and conversation.png. Each test also checks
that the screen it shoots fits the window: nothing spills sideways.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from ui_support import live_app, running_server

from socialdesk.demo import DEMO_PASSWORD, seed_demo
from socialdesk.store.models import Conversation, Message, Note

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AGENT = "sofia.alvarez@socialdesk.test"  # an agent of the demo team (Social)
WIDTH, HEIGHT = 1440, 900


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A live server on the demo data; the url and a conversation worth showing."""
    var_dir = tmp_path_factory.mktemp("demo")
    app = live_app(f"sqlite:///{var_dir / 'demo.db'}", var_dir)
    try:
        seed_demo(app, conversations=60)
        with app.db.read_session() as session:
            # An open case with public and private messages and the most going on.
            notes = select(func.count()).where(Note.conversation_id == Conversation.id)
            messages = select(func.count()).where(Message.conversation_id == Conversation.id)
            showcase = session.scalar(
                select(Conversation.id)
                .where(
                    Conversation.status == "open",
                    Conversation.has_public.is_(True),
                    Conversation.has_private.is_(True),
                )
                .order_by(
                    notes.scalar_subquery().desc(),
                    messages.scalar_subquery().desc(),
                    Conversation.id,
                )
                .limit(1)
            )
        assert showcase is not None, "the demo has no open conversation in public and private"
        with running_server(app) as url:
            yield url, showcase
    finally:
        app.db.dispose()


def _sign_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(AGENT)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live")).to_have_text("live")


def _overflowing(page: Page) -> list[str]:
    """Elements of the shell whose content is wider than the element (cut off or scrolling)."""
    found: list[str] = page.evaluate(
        """() => {
          const out = [];
          if (document.documentElement.scrollWidth > window.innerWidth) out.push("page");
          for (const el of document.querySelectorAll(
              ".nav, .list, .list-head, .conv-row, .conversation, .conv-head, .timeline,"
              + " .composer, .contact")) {
            if (el.scrollWidth > el.clientWidth + 1)
              out.push(el.className + " (" + el.scrollWidth + " > " + el.clientWidth + ")");
          }
          return out;
        }"""
    )
    return found


def _shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.mouse.move(0, HEIGHT - 1)  # no hover highlight in the picture
    page.screenshot(path=path)
    width, height = struct.unpack(">II", path.read_bytes()[16:24])  # the PNG header
    assert (width, height) == (WIDTH, HEIGHT)
    return path


def test_inbox_with_demo_data_fits_the_window(page: Page, demo: tuple[str, int]) -> None:
    url, _ = demo
    _sign_in(page, url)
    expect(page.locator(".conv-row").first).to_be_visible()
    assert page.locator(".conv-row").count() >= 10
    assert _overflowing(page) == []
    _shoot(page, "inbox.png")


def test_conversation_with_demo_data_fits_the_window(page: Page, demo: tuple[str, int]) -> None:
    url, conversation_id = demo
    _sign_in(page, url)
    page.goto(f"{url}/conversations/{conversation_id}")
    expect(page.locator("#live")).to_have_text("live")
    expect(page.locator("#timeline article.msg.public").first).to_be_visible()
    expect(page.locator("#timeline article.msg.private").first).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/conversations/{conversation_id}$"))
    assert _overflowing(page) == []
    _shoot(page, "conversation.png")
