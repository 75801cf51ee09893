"""The routing-rules and auto-reply admin pages: create, edit, reorder and switch rules
through the forms, inline errors (a malformed query shows its position), the "Try it"
fragment, the auto-reply settings with their preview, and that agents are kept out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from ui_support import PASSWORD, Caller, LiveServer, World, changed_tables, poll_until, snapshot

from socialdesk.store.models import AutoReplySettings, Message, Rule


def _post(caller: Caller, url: str, data: dict[str, Any], htmx: bool = False) -> httpx.Response:
    headers = {"X-CSRF-Token": caller.csrf or ""}
    if htmx:
        headers["HX-Request"] = "true"
    return caller.client.post(url, data=data, headers=headers)


def _rules(world: World) -> list[Rule]:
    with world.app.db.read_session() as session:
        rules = list(
            session.scalars(
                select(Rule).where(Rule.workspace_id == world.workspace_id).order_by(Rule.position)
            )
        )
        session.expunge_all()
        return rules


def _rule_named(world: World, name: str) -> Rule:
    found = [r for r in _rules(world) if r.name == name]
    assert found, f"no rule named {name!r}"
    return found[0]


BILLING_FORM: dict[str, Any] = {
    "name": "Spanish refunds",
    "description": "Angry Spanish customers asking for money back",
    "match": "all",
    "cond": ["c1", "c2", "c3", "c4"],
    "cc1_field": "language",
    "cc1_op": "in",
    "cc1_value": "es, PT",
    "cc2_field": "sentiment",
    "cc2_op": "in",
    "cc2_value": ["negative", "neutral"],
    "cc3_field": "text",
    "cc3_op": "matches",
    "cc3_value": 'refund* AND NOT "job offer"',
    "cc4_field": "",  # an untouched row is left out
    "act": ["a1", "a2", "a3"],
    "aa1_type": "set_priority",
    "aa1_value": "high",
    "aa2_type": "add_tags",
    "aa2_value": "Refund, billing",
    "aa3_type": "stop",
}


def test_supervisor_creates_a_rule_with_the_structured_editor(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    page = supervisor.client.get("/admin/rules")
    assert page.status_code == 200
    assert "Spam filter" in page.text and "New rule" in page.text
    assert re.search(r'href="[^"]*/admin/rules"', page.text)  # the nav links here

    form = dict(BILLING_FORM, act=["a1", "a2", "a3", "a4"], aa4_type="set_team")
    form["aa4_value"] = str(world.team_id)
    response = _post(supervisor, "/admin/rules", form)
    assert response.status_code == 303, response.text
    rule = _rule_named(world, "Spanish refunds")
    assert (rule.enabled, rule.position, rule.match) == (False, 3, "all")
    assert rule.conditions == [
        {"field": "language", "op": "in", "value": ["es", "pt"]},
        {"field": "sentiment", "op": "in", "value": ["negative", "neutral"]},
        {"field": "text", "op": "matches", "value": 'refund* AND NOT "job offer"'},
    ]
    assert rule.actions == [
        {"type": "set_priority", "value": "high"},
        {"type": "add_tags", "value": ["refund", "billing"]},
        {"type": "stop"},
        {"type": "set_team", "value": world.team_id},
    ]
    listed = supervisor.client.get("/admin/rules").text
    assert "Language is es, pt" in listed
    assert "Team → Care" in listed and "Tags + refund, billing" in listed


def test_editing_a_rule_starts_from_its_stored_values(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    admin = signed_in("admin")
    page = admin.client.get(f"/admin/rules/{world.rule_id}")
    assert page.status_code == 200
    assert "Edit “Spanish”" in page.text
    assert re.search(r'name="c(\w+)_value" value="es"', page.text)  # the language row
    assert re.search(rf'action="[^"]*/admin/rules/{world.rule_id}"', page.text)

    response = _post(
        admin,
        f"/admin/rules/{world.rule_id}",
        {
            "name": "Spanish or Portuguese",
            "match": "any",
            "enabled": "1",
            "cond": ["x", "y"],
            "cx_field": "language",
            "cx_op": "in",
            "cx_value": "es",
            "cy_field": "business_hours",
            "cy_value": "closed",
            "cy_calendar": str(world.calendar_id),
            "act": ["z"],
            "az_type": "assign",
            "az_value": f"user:{world.users['agent']}",
        },
    )
    assert response.status_code == 303, response.text
    rule = _rule_named(world, "Spanish or Portuguese")
    assert (rule.id, rule.match, rule.enabled, rule.position) == (world.rule_id, "any", True, 2)
    assert rule.conditions[1] == {
        "field": "business_hours",
        "op": "is",
        "value": "closed",
        "calendar_id": world.calendar_id,
    }
    assert rule.actions == [{"type": "assign", "value": f"user:{world.users['agent']}"}]
    listed = admin.client.get("/admin/rules").text
    assert "Business hours (Weekdays) are closed" in listed and "Assign → Agent" in listed


def test_up_down_and_the_switch_change_order_and_state(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    assert [r.name for r in _rules(world)] == ["Spam filter", "Spanish"]
    assert _post(supervisor, f"/admin/rules/{world.rule_id}/move", {"direction": "up"}).status_code
    assert [r.name for r in _rules(world)] == ["Spanish", "Spam filter"]
    # moving the first rule further up changes nothing
    _post(supervisor, f"/admin/rules/{world.rule_id}/move", {"direction": "up"})
    assert [(r.name, r.position) for r in _rules(world)] == [("Spanish", 1), ("Spam filter", 2)]
    _post(supervisor, f"/admin/rules/{world.rule_id}/move", {"direction": "down"})
    assert [r.name for r in _rules(world)] == ["Spam filter", "Spanish"]

    response = _post(supervisor, f"/admin/rules/{world.rule_id}/enabled", {"enabled": "1"})
    assert response.status_code == 303
    assert _rule_named(world, "Spanish").enabled is True
    page = supervisor.client.get("/admin/rules").text
    assert re.search(r'aria-checked="true"\s+aria-label="Spanish is on', page)
    _post(supervisor, f"/admin/rules/{world.rule_id}/enabled", {"enabled": "0"})
    assert _rule_named(world, "Spanish").enabled is False

    bad = _post(supervisor, f"/admin/rules/{world.rule_id}/move", {"direction": "left"})
    assert bad.status_code == 422 and "up or down" in bad.text

    assert _post(supervisor, f"/admin/rules/{world.rule_id}/delete", {}).status_code == 303
    assert [(r.name, r.position) for r in _rules(world)] == [("Spam filter", 1)]


def test_a_malformed_query_is_shown_on_its_row_with_the_position(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    before = snapshot(world.app)
    form = dict(BILLING_FORM, cc3_value="refund AND (late OR")
    response = _post(supervisor, "/admin/rules", form)
    assert response.status_code == 422
    assert changed_tables(before, snapshot(world.app)) == []
    html = response.text
    assert re.search(r"Condition 3: .*position \d+", html), html
    assert '<mark title="position' in html  # the query with the faulty spot marked
    # what was typed is still there, on the row that has the error
    assert 'value="refund AND (late OR"' in html
    assert 'name="cc2_value" value="negative" checked' in html
    assert 'value="Spanish refunds"' in html


def test_unknown_records_and_missing_actions_are_explained(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    unknown_team = dict(BILLING_FORM, act=["a1"], aa1_type="set_team", aa1_value="999999")
    response = _post(supervisor, "/admin/rules", unknown_team)
    assert response.status_code == 422
    assert "Action 1: team 999999 does not exist" in response.text
    no_actions = dict(BILLING_FORM, act=["a1"], aa1_type="")
    response = _post(supervisor, "/admin/rules", no_actions)
    assert response.status_code == 422 and "non-empty list of actions" in response.text
    taken = dict(BILLING_FORM, name="Spam filter")
    response = _post(supervisor, "/admin/rules", taken)
    assert response.status_code == 409 and "already exists" in response.text
    assert len(_rules(world)) == 2


def _try(caller: Caller, params: dict[str, Any]) -> httpx.Response:
    return caller.client.get("/admin/rules/try", params=params, headers={"HX-Request": "true"})


def test_try_it_counts_the_messages_the_rule_would_have_matched(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    """acme's customers dana and eli each wrote "My order?" and "Any news?"; globex's
    messages are not counted."""
    supervisor = signed_in("supervisor")
    everything = _try(supervisor, {"try_days": "7"})
    assert everything.status_code == 200
    assert 'data-matched="4"' in everything.text and "4 customer messages tried" in everything.text

    news = _try(
        supervisor,
        {"try_days": "1", "cond": "q", "cq_field": "text", "cq_op": "matches", "cq_value": "news"},
    )
    assert 'data-matched="2"' in news.text
    assert "in the last 1 day" in news.text
    assert news.text.count("Any news?") == 2  # the samples
    assert "<html" not in news.text  # a fragment

    public = _try(supervisor, {"cond": "v", "cv_field": "visibility", "cv_value": "public"})
    assert 'data-matched="2"' in public.text


def test_try_it_explains_a_malformed_query(world: World, signed_in: Callable[..., Caller]) -> None:
    supervisor = signed_in("supervisor")
    response = _try(
        supervisor,
        {"cond": "q", "cq_field": "text", "cq_op": "matches", "cq_value": "refund OR"},
    )
    assert response.status_code == 422
    assert re.search(r"Condition 1: .*at position 10", response.text), response.text
    assert '<mark title="position 10">' in response.text
    bad_days = _try(supervisor, {"try_days": "365"})
    assert bad_days.status_code == 422 and "days" in bad_days.text


def test_row_fragment_offers_the_workspace_records(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    calendar = supervisor.client.get(
        "/admin/rules/row",
        params={"kind": "condition", "key": "k9", "ck9_field": "business_hours"},
        headers={"HX-Request": "true"},
    ).text
    assert 'name="ck9_calendar"' in calendar and "Weekdays" in calendar
    account = supervisor.client.get(
        "/admin/rules/row", params={"kind": "condition", "key": "k9", "ck9_field": "account"}
    ).text
    assert f'value="{world.account_id}"' in account and "Acme (sandbox)" in account
    assert "Acme Mail (email)" in account
    team = supervisor.client.get(
        "/admin/rules/row", params={"kind": "action", "key": "k8", "ak8_type": "set_team"}
    ).text
    assert f'<option value="{world.team_id}"' in team and "Care" in team
    policy = supervisor.client.get(
        "/admin/rules/row", params={"kind": "action", "key": "k8", "ak8_type": "set_sla_policy"}
    ).text
    assert f'<option value="{world.policy_id}"' in policy and "Standard" in policy
    fresh = supervisor.client.get("/admin/rules/row", params={"kind": "action"}).text
    assert re.search(r'name="act" value="[0-9a-f]{8}"', fresh)


def test_agents_are_refused_every_rules_and_autoreply_route(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    before = snapshot(world.app)
    for url in ("/admin/rules", "/admin/rules/try", "/admin/autoreplies"):
        response = agent.client.get(url)
        assert response.status_code == 403 and "for the supervisor role" in response.text
    for url, form in (
        ("/admin/rules", BILLING_FORM),
        (f"/admin/rules/{world.rule_id}/enabled", {"enabled": "1"}),
        ("/admin/autoreplies", {"enabled": "1"}),
    ):
        assert _post(agent, url, form).status_code == 403
    assert changed_tables(before, snapshot(world.app)) == []
    assert not re.search(r'href="[^"]*/admin/rules"', agent.client.get("/inbox").text)


def _settings(world: World, account_id: int | None) -> AutoReplySettings | None:
    with world.app.db.read_session() as session:
        row = session.scalar(
            select(AutoReplySettings).where(
                AutoReplySettings.workspace_id == world.workspace_id,
                AutoReplySettings.channel_account_id.is_(None)
                if account_id is None
                else AutoReplySettings.channel_account_id == account_id,
            )
        )
        if row is not None:
            session.expunge(row)
        return row


def test_autoreply_settings_are_saved_validated_and_previewed(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    supervisor = signed_in("supervisor")
    page = supervisor.client.get("/admin/autoreplies")
    assert page.status_code == 200 and "not set up" in page.text
    assert "Acme (sandbox)" in page.text  # the account that has settings of its own

    form = {
        "enabled": "1",
        "in_hours_enabled": "1",
        "in_hours_text": "Hola {{contact.name}}, wait {{expected_wait}}",
        "welcome_enabled": "1",
        "buttons": "Orders\nReturns",
        "calendar": str(world.calendar_id),
    }
    assert _post(supervisor, "/admin/autoreplies", form).status_code == 303
    row = _settings(world, None)
    assert row is not None
    assert (row.enabled, row.out_of_hours_enabled, row.in_hours_enabled) == (True, False, True)
    assert (row.welcome_buttons, row.calendar_id) == (["Orders", "Returns"], world.calendar_id)
    assert row.public_posts is False  # not ticked
    assert _post(supervisor, "/admin/autoreplies", dict(form, public_posts="1")).status_code == 303
    ticked = _settings(world, None)
    assert ticked is not None and ticked.public_posts is True

    bad = _post(supervisor, "/admin/autoreplies", dict(form, welcome_text="Hi {{next_opening}}"))
    assert bad.status_code == 422
    assert "unknown variable" in bad.text and "Hi {{next_opening}}" in bad.text

    preview = supervisor.client.get(
        "/admin/autoreplies/preview",
        params={**form, "out_of_hours_text": "Closed, {{contact.name}}; back {{next_opening}}"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert "Hola Dana, wait about 15 minutes" in preview.text
    assert re.search(r"Closed, Dana; back (today|tomorrow|on \w+)", preview.text)
    assert "Orders" in preview.text and "Returns" in preview.text

    # an account's own settings: edit form starts from the workspace's, then can be removed
    own = supervisor.client.get("/admin/autoreplies", params={"account": world.account_id})
    assert own.status_code == 200 and f'name="account" value="{world.account_id}"' in own.text
    account_form = dict(form, account=str(world.account_id), enabled="")
    assert _post(supervisor, "/admin/autoreplies", account_form).status_code == 303
    override = _settings(world, world.account_id)
    assert override is not None and override.enabled is False
    delete = _post(supervisor, f"/admin/autoreplies/accounts/{world.account_id}/delete", {})
    assert delete.status_code == 303
    assert _settings(world, world.account_id) is None
    assert _settings(world, None) is not None  # the workspace's stay


# ---------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_rule_editor_rows_try_it_and_save_in_a_browser(live: LiveServer, page: Page) -> None:
    """The htmx wiring: choosing a field swaps in its value input, "Try it" shows the count
    (and a malformed query's marked position), "+ Add action" appends a row, saving lists it."""
    expect.set_options(timeout=10_000)
    tenant = live.tenant("Sam", role="supervisor")
    tenant.customer("dana", "I want a refund for the late parcel")
    tenant.customer("eli", "Thanks, all good")

    def processed() -> bool:
        with live.app.db.read_session() as session:
            ids = session.scalars(
                select(Message.conversation_id).where(
                    Message.workspace_id == tenant.workspace_id, Message.direction == "in"
                )
            ).all()
        return len(ids) == 2 and all(ids)

    poll_until(processed, what="the worker to process both messages")
    page.goto(tenant.url + "/login")
    page.get_by_label("Email").fill(tenant.emails["Sam"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    page.get_by_role("link", name="Routing rules").click()
    expect(page.locator("h1").first).to_have_text("Routing rules")

    page.locator("#conditions select").first.select_option("text")
    query = page.locator("#conditions input.query")
    expect(query).to_be_visible()
    expect(page.locator(".htmx-added")).to_have_count(0)
    query.fill("refund AND (late")
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#try-result")).to_contain_text("position")
    expect(page.locator("#try-result mark")).to_be_visible()
    query.fill("refund AND late")
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#try-result")).to_contain_text("Would have matched 1")
    expect(page.locator("#try-result")).to_contain_text("refund for the late parcel")

    page.get_by_role("button", name="+ Add action").click()
    expect(page.locator("#actions .rule-row")).to_have_count(2)
    page.locator("#actions select").first.select_option("set_priority")
    expect(page.locator("#actions select[aria-label=Value]")).to_be_visible()
    page.locator("#actions select[aria-label=Value]").select_option("urgent")
    page.get_by_label("Name", exact=True).fill("Late refunds")
    page.get_by_role("button", name="Create rule").click()
    row = page.locator("table.rules tr", has_text="Late refunds")
    expect(row).to_contain_text("Text matches “refund AND late”")
    expect(row).to_contain_text("Priority → urgent")
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "false")
