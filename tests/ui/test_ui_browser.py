"""The agent workspace in a real browser: Chromium (Playwright) against a live server whose
embedded worker processes sandbox customers' posts and delivers replies, on SQLite and
PostgreSQL. Each test works in a workspace of its own; ``expect`` waits, nothing sleeps."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from ui_support import PASSWORD, LiveServer, Tenant, poll_until

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _patient_expect() -> None:
    """Live updates travel through the worker and the event stream: allow a few seconds."""
    expect.set_options(timeout=10_000)


def sign_in(page: Page, tenant: Tenant, name: str | None = None) -> None:
    email = tenant.emails[name] if name else next(iter(tenant.emails.values()))
    page.goto(tenant.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator("#live")).to_have_text("live")  # the event stream is open


def settled(page: Page) -> None:
    """htmx wires up swapped-in content when it settles (~20 ms later): wait for that, as a
    person would, before pressing keys or buttons in it."""
    expect(page.locator(".htmx-added")).to_have_count(0)


def open_conversation(page: Page, handle: str) -> None:
    page.locator(".conv-row", has_text=f"@{handle}").locator("a").click()
    expect(page.locator(".conv-head h2")).to_have_text(f"@{handle}")
    settled(page)


def choose_mode(page: Page, label: str) -> None:
    page.locator(".mode-switch label", has_text=label).click()


@pytest.fixture
def tenant(live: LiveServer) -> Tenant:
    return live.tenant("Alice")


@pytest.fixture
def waiting_customer(tenant: Tenant, page: Page) -> str:
    """Alice is signed in and has @dana's conversation (a public post) open."""
    sign_in(page, tenant)
    tenant.customer("dana", "My router blinks red since this morning")
    open_conversation(page, "dana")
    return "dana"


def test_sign_in_shows_the_live_inbox(page: Page, tenant: Tenant) -> None:
    sign_in(page, tenant)
    expect(page.locator(".list-head h1")).to_contain_text("All open")
    expect(page.locator(".nav .me")).to_contain_text("Alice")


def test_public_post_then_private_message_appear_live_in_one_conversation(
    page: Page, tenant: Tenant
) -> None:
    sign_in(page, tenant)
    page.evaluate("window.__not_reloaded = true")
    tenant.customer("dana", "Where is my parcel? Ordered a week ago")
    expect(page.locator(".conv-row")).to_have_count(1)  # the list updates by itself
    open_conversation(page, "dana")
    tenant.customer("dana", "Sending details here rather than in public", private=True)
    timeline = page.locator("#timeline")
    expect(timeline.locator("article.msg")).to_have_count(2)
    public, private = (
        timeline.locator("article.msg.public"),
        timeline.locator("article.msg.private"),
    )
    expect(public).to_contain_text("Where is my parcel?")
    expect(public.locator(".badge-public")).to_have_text("Public")
    expect(private).to_contain_text("Sending details here")
    expect(private.locator(".badge-private")).to_have_text("Private")
    expect(page.locator(".conv-row")).to_have_count(1)  # threaded: still one conversation
    assert page.evaluate("window.__not_reloaded") is True


def test_private_reply_is_delivered_to_the_sandbox_customer(
    page: Page, tenant: Tenant, waiting_customer: str
) -> None:
    choose_mode(page, "Private message")
    page.locator("#reply-text").fill("Sorry about that! Could you restart it for me?")
    page.get_by_role("button", name="Send private message").click()
    sent = page.locator("#timeline article.msg.out.private")
    expect(sent).to_contain_text("Could you restart it")
    deliveries = poll_until(tenant.deliveries, what="the sandbox to receive the reply")
    assert [(d["visibility"], d["text"], d["recipient"]) for d in deliveries] == [
        ("private", "Sorry about that! Could you restart it for me?", "dana")
    ]


def test_public_reply_with_a_phone_number_is_blocked(
    page: Page, tenant: Tenant, waiting_customer: str
) -> None:
    choose_mode(page, "Public reply")
    page.locator("#reply-text").fill("Call us on +1 415 555 0132 and we will sort it out")
    with page.expect_response(re.compile(r"/send$")) as answer:
        page.get_by_role("button", name="Send public reply").click()
    assert answer.value.status == 422
    guard = page.locator(".guard")
    expect(guard).to_contain_text("This public reply contains personal data")
    expect(guard).to_contain_text("a phone number")
    expect(page.get_by_role("button", name="Send privately instead")).to_be_visible()
    expect(page.locator("#timeline article.msg.out")).to_have_count(0)
    assert tenant.deliveries() == []


def test_blocked_public_reply_goes_out_privately_in_one_click(
    page: Page, tenant: Tenant, waiting_customer: str
) -> None:
    choose_mode(page, "Public reply")
    text = "Call us on +1 415 555 0132 and we will sort it out"
    page.locator("#reply-text").fill(text)
    page.get_by_role("button", name="Send public reply").click()
    expect(page.locator(".guard")).to_contain_text("a phone number")
    settled(page)
    page.get_by_role("button", name="Send privately instead").click()
    expect(page.locator("#timeline article.msg.out.private")).to_contain_text("+1 415 555 0132")
    expect(page.locator("#timeline article.msg.out.public")).to_have_count(0)
    deliveries = poll_until(tenant.deliveries, what="the sandbox to receive the reply")
    assert [(d["visibility"], d["text"]) for d in deliveries] == [("private", text)]


@pytest.fixture
def two_agents(live: LiveServer, browser: Browser) -> Iterator[tuple[Tenant, Page, Page]]:
    """Alice and Bob, each in a browser context of their own, in @dana's conversation."""
    tenant = live.tenant("Alice", "Bob")
    tenant.customer("dana", "Is anyone there? My card was charged twice")
    contexts = [browser.new_context(viewport={"width": 1440, "height": 900}) for _ in range(2)]
    alice, bob = (context.new_page() for context in contexts)
    try:
        for page, name in ((alice, "Alice"), (bob, "Bob")):
            sign_in(page, tenant, name)
            open_conversation(page, "dana")
        yield tenant, alice, bob
    finally:
        for context in contexts:
            context.close()


def test_two_agents_in_one_conversation_see_each_other(
    two_agents: tuple[Tenant, Page, Page],
) -> None:
    _, alice, bob = two_agents
    expect(alice.locator("#presence")).to_contain_text("Bob is viewing")
    expect(bob.locator("#presence")).to_contain_text("Alice is viewing")


def test_second_reply_is_refused_when_another_agent_replied_first(
    two_agents: tuple[Tenant, Page, Page],
) -> None:
    tenant, alice, bob = two_agents
    for page in (alice, bob):
        choose_mode(page, "Private message")
        page.locator("#reply-text").fill(f"{'Alice' if page is alice else 'Bob'} here, checking")
    alice.get_by_role("button", name="Send private message").click()
    expect(alice.locator("#timeline article.msg.out")).to_have_count(1)
    with bob.expect_response(re.compile(r"/send$")) as answer:
        bob.get_by_role("button", name="Send private message").click()
    assert answer.value.status == 409
    conflict = bob.locator(".guard", has_text="Not sent")
    expect(conflict).to_contain_text("Alice replied since you opened this conversation")
    expect(bob.locator("#reply-text")).to_have_value("Bob here, checking")  # draft kept
    deliveries = poll_until(tenant.deliveries, what="Alice's reply to reach the sandbox")
    assert [d["text"] for d in deliveries] == ["Alice here, checking"]


def test_resolve_button_resolves_the_conversation(
    page: Page, tenant: Tenant, waiting_customer: str
) -> None:
    expect(page.locator("#conv-status")).to_have_text("open")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conv-status")).to_have_text("resolved")


def test_e_shortcut_resolves_the_conversation(
    page: Page, tenant: Tenant, waiting_customer: str
) -> None:
    expect(page.locator("#conv-status")).to_have_text("open")
    page.keyboard.press("e")
    expect(page.locator("#conv-status")).to_have_text("resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()


def test_agent_opening_admin_users_gets_403(page: Page, tenant: Tenant) -> None:
    sign_in(page, tenant)
    response = page.goto(tenant.url + "/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_j_and_k_move_the_selection_and_enter_opens_it(page: Page, tenant: Tenant) -> None:
    sign_in(page, tenant)
    for handle in ("ann", "ben", "cat"):  # newest first in the list: cat, ben, ann
        tenant.customer(handle, f"Hello from {handle}")
    rows = page.locator(".conv-row")
    expect(rows.locator(".name")).to_have_text(["@cat", "@ben", "@ann"])  # a burst, all shown
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    settled(page)
    page.keyboard.press("Enter")
    expect(page.locator(".conv-head h2")).to_have_text("@ben")
    expect(page).to_have_url(re.compile(r"/conversations/\d+"))


def test_question_mark_opens_the_shortcut_help(page: Page, tenant: Tenant) -> None:
    sign_in(page, tenant)
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next / previous conversation")


@pytest.fixture
def long_conversation(page: Page, tenant: Tenant) -> str:
    """@dana has written twelve times (more than the timeline shows at once); Alice is in."""
    sign_in(page, tenant)
    for number in range(1, 13):
        tenant.customer("dana", f"Update {number}: still no signal on the line")
    expect(page.locator(".conv-row", has_text="Update 12")).to_have_count(1)
    open_conversation(page, "dana")
    return "dana"


def test_opening_a_long_conversation_shows_its_latest_message(
    page: Page, long_conversation: str
) -> None:
    messages = page.locator("#timeline article.msg")
    expect(messages).to_have_count(12)
    expect(messages.last).to_contain_text("Update 12")
    expect(messages.last).to_be_in_viewport()
    expect(messages.first).not_to_be_in_viewport()


def test_a_live_message_in_a_long_conversation_scrolls_into_view(
    page: Page, tenant: Tenant, long_conversation: str
) -> None:
    tenant.customer("dana", "Update 13: it works again!", private=True)
    newest = page.locator("#timeline article.msg.private")
    expect(newest).to_contain_text("Update 13")
    expect(newest).to_be_in_viewport()
