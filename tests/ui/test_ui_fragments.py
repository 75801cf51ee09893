"""htmx requests get a fragment of the page (the list, the conversation pane), not the page.

A fragment is one Jinja block rendered alone, so it must not depend on anything the rest of
the template sets up (imports, variables): these answers are what live updates swap in.
"""

from __future__ import annotations

import pytest
from ui_support import Caller, World

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    "query",
    ["", "?view=unassigned", "?q=order", "?status=open&visibility=private", "?sort=waiting"],
)
def test_htmx_inbox_request_answers_with_the_list_fragment(
    shared_world: World, shared_sessions: dict[str, Caller], query: str
) -> None:
    response = shared_sessions["agent"].client.get(f"/inbox{query}", headers=HTMX)
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith('<div id="list-body"')
    assert "<html" not in response.text


def test_htmx_inbox_list_names_the_customers(
    shared_world: World, shared_sessions: dict[str, Caller]
) -> None:
    response = shared_sessions["agent"].client.get("/inbox", headers=HTMX)
    assert "@dana" in response.text and "@eli" in response.text
    assert "@olaf" not in response.text  # globex's customer


def test_htmx_conversation_request_answers_with_the_pane_fragment(
    shared_world: World, shared_sessions: dict[str, Caller]
) -> None:
    response = shared_sessions["agent"].client.get(
        f"/conversations/{shared_world.conversation_id}", headers=HTMX
    )
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith('<div id="conversation-pane"')
    assert "<html" not in response.text
    assert 'class="msg in public"' in response.text and 'class="msg in private"' in response.text


def test_full_conversation_page_has_the_list_and_the_pane(
    shared_world: World, shared_sessions: dict[str, Caller]
) -> None:
    response = shared_sessions["agent"].client.get(f"/conversations/{shared_world.conversation_id}")
    assert response.status_code == 200, response.text
    assert "<html" in response.text
    assert 'id="list-body"' in response.text and 'id="conversation-pane"' in response.text
