"""Back to the original channel from the conversation view: the "Back to …" button of a
conversation continued on email, its form (with the CSRF token), the conversation moving back,
the timeline line, and the refusal that points to the button.

Through TestClient with a real sign-in, on SQLite and PostgreSQL (the ``world`` fixture: acme
has a sandbox account "Acme" (@acmecare), an email account and the customer @dana with a public
post and a private message).
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from sqlalchemy import select
from ui_support import Caller, World, changed_tables, snapshot

from socialdesk.services.continuation import CHANNEL_CHANGED
from socialdesk.store.models import ContactConsent, Conversation, Event

HTMX = {"HX-Request": "true"}
BUTTON = 'id="continuation-return"'


def _headers(caller: Caller) -> dict[str, str]:
    return {**HTMX, "X-CSRF-Token": caller.csrf or ""}


def _pane(caller: Caller, world: World) -> str:
    response = caller.client.get(f"/conversations/{world.conversation_id}", headers=HTMX)
    assert response.status_code == 200, response.text
    return response.text


def _continue_on_email(caller: Caller, world: World) -> str:
    response = caller.client.post(
        f"/conversations/{world.conversation_id}/continue",
        data={
            "channel": "email",
            "address": "dana@example.com",
            "request_text": "May we continue by email? Customer: yes, dana@example.com",
        },
        headers=_headers(caller),
    )
    assert response.status_code == 200, response.text
    return response.text


def _account_of(world: World) -> int:
    with world.app.db.read_session() as session:
        return session.get_one(Conversation, world.conversation_id).channel_account_id


def _return_url(world: World) -> str:
    return f"/conversations/{world.conversation_id}/continuation/return"


def test_the_button_appears_once_continued_and_moves_the_conversation_back(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    assert BUTTON not in _pane(agent, world)  # never continued: nothing to go back to

    html = _continue_on_email(agent, world)

    assert BUTTON in html
    form = html.split(BUTTON, 1)[1].split("</form>", 1)[0]
    assert f'{_return_url(world)}" hx-target="#conversation-pane"' in form
    assert f'name="csrf_token" value="{agent.csrf}"' in form
    assert "Back to Sandbox (@acmecare)</button>" in form

    # A plain form post, the token in the form field (as without htmx).
    response = agent.client.post(_return_url(world), data={"csrf_token": agent.csrf or ""})

    assert response.status_code == 200, response.text
    text = unescape(response.text)
    assert BUTTON not in text  # back already: no button
    line = text.split('data-event="conversation.channel_changed" data-returned>', 1)[1]
    line = line.split("</div>", 1)[0]
    assert "Agent moved this conversation back to Sandbox (@acmecare) · " in line
    # The continuation stays in the timeline, as it was.
    assert "Agent continued this conversation by Email at dana@example.com" in text
    # The composer writes on the sandbox again: public replies are back.
    assert 'name="mode" value="public"' in response.text
    assert "via Acme · #" in text
    assert _account_of(world) == world.account_id
    with world.app.db.read_session() as session:
        event = session.scalars(
            select(Event).where(Event.type == CHANNEL_CHANGED).order_by(Event.id.desc())
        ).first()
    assert event is not None
    assert event.data == {
        "from": world.email_account_id,
        "to": world.account_id,
        "platform": "sandbox",
        "returned": True,
    }
    assert (event.actor_kind, event.actor_user_id) == ("agent", world.users["agent"])


def test_after_a_withdrawal_the_refusal_points_to_the_button(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    _continue_on_email(agent, world)
    with world.app.db.read_session() as session:
        consent_id = session.scalars(
            select(ContactConsent.id).where(ContactConsent.channel == "email")
        ).one()
    withdrawn = agent.client.post(
        f"/conversations/{world.conversation_id}/contact/consents/{consent_id}/withdraw",
        headers=_headers(agent),
    )
    assert withdrawn.status_code == 200, withdrawn.text

    refused = agent.client.post(
        f"/conversations/{world.conversation_id}/send",
        data={"mode": "private", "text": "Here is your invoice.", "seen_outbound_id": "0"},
        headers=_headers(agent),
    )

    assert refused.status_code == 409, refused.text
    text = unescape(refused.text)
    assert (
        "Answer them on Sandbox instead, where this conversation started (Acme, @acmecare): "
        "“Back to Sandbox” moves it there; email opens again only when they email us first."
    ) in text
    assert BUTTON in text and "Back to Sandbox (@acmecare)</button>" in text

    back = agent.client.post(_return_url(world), headers=_headers(agent))
    assert back.status_code == 200, back.text
    sent = agent.client.post(
        f"/conversations/{world.conversation_id}/send",
        data={"mode": "private", "text": "Here is your invoice.", "seen_outbound_id": "0"},
        headers=_headers(agent),
    )
    assert sent.status_code == 200, sent.text
    assert "Not sent" not in unescape(sent.text)


def test_a_stale_button_explains_the_conflict_and_changes_nothing(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent, colleague = signed_in("agent"), signed_in("supervisor")
    _continue_on_email(agent, world)
    assert colleague.client.post(_return_url(world), headers=_headers(colleague)).status_code == 200
    before = snapshot(world.app)

    response = agent.client.post(_return_url(world), headers=_headers(agent))

    assert response.status_code == 409, response.text
    error = unescape(response.text.split("data-return-error>", 1)[1].split("</div>", 1)[0])
    assert error == "this conversation has not been continued on another channel"
    assert changed_tables(before, snapshot(world.app)) == []


def test_without_the_token_or_in_another_workspace_nothing_moves(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    _continue_on_email(agent, world)
    before = snapshot(world.app)

    forged = agent.client.post(_return_url(world), headers=HTMX)
    foreign = agent.client.post(
        f"/conversations/{world.other_conversation_id}/continuation/return",
        headers=_headers(agent),
    )

    assert forged.status_code == 403, forged.text
    assert foreign.status_code == 404, foreign.text
    assert changed_tables(before, snapshot(world.app)) == []
    assert _account_of(world) == world.email_account_id
