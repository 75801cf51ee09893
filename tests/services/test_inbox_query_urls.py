"""Inbox links keep the filters, each parameter once (no `view=…&view=…` in pushed URLs)."""

from __future__ import annotations

from urllib.parse import parse_qs

from socialdesk.services.inbox import InboxQuery


def test_every_filter_appears_once_and_empty_ones_not_at_all() -> None:
    query = InboxQuery(view="mine", sort="waiting", tag="vip", q="late order", status="", page=2)
    params = parse_qs(query.url_params(), keep_blank_values=True)
    assert params == {
        "view": ["mine"],
        "sort": ["waiting"],
        "tag": ["vip"],
        "q": ["late order"],
        "page": ["2"],
    }


def test_a_page_link_replaces_the_page_and_keeps_the_account() -> None:
    query = InboxQuery(view="all", account_id=7, platform="whatsapp", page=3)
    assert parse_qs(query.url_params(page=4)) == {
        "view": ["all"],
        "sort": ["recent"],
        "account": ["7"],
        "platform": ["whatsapp"],
        "page": ["4"],
    }
    assert "page" not in parse_qs(InboxQuery(view="all").url_params())
