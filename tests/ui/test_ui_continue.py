"""Continue by email or SMS from the conversation view: the form, its inline errors, the
conversation moving to the new channel with the consent on record, and the timeline line.

Through TestClient with a real sign-in, on SQLite and PostgreSQL (the ``world`` fixture: acme
has a sandbox account, an email account and the customer @dana with a public post and a
private message).
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from sqlalchemy import select
from ui_support import Caller, World, changed_tables, snapshot

from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.store.models import ContactConsent, ContactIdentity, Conversation, Event, Message

HTMX = {"HX-Request": "true"}


def _continue(caller: Caller, world: World, **form: str) -> str:
    response = caller.client.post(
        f"/conversations/{world.conversation_id}/continue",
        data=form,
        headers={**HTMX, "X-CSRF-Token": caller.csrf or ""},
    )
    return f"{response.status_code}\n{response.text}"


def test_form_offers_only_channels_the_workspace_has(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    html = agent.client.get(f"/conversations/{world.conversation_id}", headers=HTMX).text
    assert 'id="continue"' in html
    form = html.split('id="continue"', 1)[1].split("</details>", 1)[0]
    assert '<option value="email"' in form and '<option value="sms"' not in form
    assert 'name="address"' in form and 'name="request_text"' in form


def test_continue_on_email_moves_the_conversation_and_shows_it_in_line(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    answer = _continue(
        agent,
        world,
        channel="email",
        address=" Dana@Example.com ",
        request_text="May we continue by email? Customer: yes, Dana@Example.com",
    )
    status, html = answer.split("\n", 1)
    assert status == "200", html
    text = unescape(html)
    line = text.split('data-event="conversation.channel_changed">', 1)[1].split("</div>", 1)[0]
    assert "Agent continued this conversation by Email at dana@example.com" in line
    assert "consent on record" in line
    # The composer now writes an email: private only, to the address just given.
    assert 'name="mode" value="public"' not in html
    assert "Private email: only dana@example.com sees it" in text
    with world.app.db.read_session() as session:
        conversation = session.get(Conversation, world.conversation_id)
        assert conversation is not None
        assert conversation.channel_account_id == world.email_account_id
        consent = session.scalars(
            select(ContactConsent).where(ContactConsent.channel == "email")
        ).one()
        assert (consent.channel, consent.address, consent.source) == (
            "email",
            "dana@example.com",
            "agent",
        )
        assert consent.recorded_by_user_id == world.users["agent"]
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.platform == "email")
        ).one()
        assert identity.contact_id == conversation.contact_id
        assert (
            session.scalars(select(Event).where(Event.type == "conversation.channel_changed"))
            .one()
            .data["to"]
            == world.email_account_id
        )
    # The next reply goes out through the email account, to the linked address.
    with world.app.db.session() as session:
        message = reply(
            session,
            world.workspace_id,
            world.conversation_id,
            Actor.agent(world.users["agent"]),
            text="Here is your invoice.",
            visibility="private",
        )
        assert message.channel_account_id == world.email_account_id
        assert message.platform == "email"
    # The earlier public and private messages stay in the timeline.
    later = agent.client.get(f"/conversations/{world.conversation_id}", headers=HTMX).text
    assert 'class="msg in public"' in later and 'class="msg in private"' in later


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (
            {"channel": "email", "address": "not an address", "request_text": "May we?"},
            "422",
            "not an address",
        ),
        (
            {"channel": "sms", "address": "+14155550100", "request_text": "May we text you?"},
            "409",
            "this workspace has no sms channel account to continue on: connect one first",
        ),
        (
            {"channel": "email", "address": "dana@example.com", "request_text": "   "},
            "422",
            "record what the customer was asked (request_text)",
        ),
        (
            {"channel": "fax", "address": "dana@example.com", "request_text": "May we?"},
            "422",
            "channel must be 'email' or 'sms', not 'fax'",
        ),
    ],
)
def test_refused_continuation_is_explained_in_the_form_and_changes_nothing(
    world: World,
    signed_in: Callable[..., Caller],
    form: dict[str, str],
    status: str,
    message: str,
) -> None:
    agent = signed_in("agent")
    before = snapshot(world.app)
    got_status, html = _continue(agent, world, **form).split("\n", 1)
    assert got_status == status, html
    error = unescape(html.split("data-continue-error>", 1)[1].split("</div>", 1)[0])
    assert message in error
    details = html.split('id="continue"', 1)[1].split(">", 1)[0]
    assert "open" in details  # the form stays open with what was typed
    assert f'value="{form["address"]}"' in html
    assert changed_tables(before, snapshot(world.app)) == []


def test_address_of_another_contact_is_refused(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    with world.app.db.read_session() as session:
        eli = session.scalar(
            select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.workspace_id == world.workspace_id,
                Conversation.id != world.conversation_id,
            )
            .limit(1)
        )
    assert eli is not None
    first = agent.client.post(
        f"/conversations/{eli}/continue",
        data={"channel": "email", "address": "shared@example.com", "request_text": "Email?"},
        headers={**HTMX, "X-CSRF-Token": agent.csrf or ""},
    )
    assert first.status_code == 200, first.text
    before = snapshot(world.app)
    status, html = _continue(
        agent, world, channel="email", address="shared@example.com", request_text="Email?"
    ).split("\n", 1)
    assert status == "409", html
    assert "belongs to another contact" in unescape(html)
    assert changed_tables(before, snapshot(world.app)) == []


def test_other_workspaces_conversation_is_not_found(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    before = snapshot(world.app)
    response = agent.client.post(
        f"/conversations/{world.other_conversation_id}/continue",
        data={"channel": "email", "address": "olaf@example.com", "request_text": "Email?"},
        headers={**HTMX, "X-CSRF-Token": agent.csrf or ""},
    )
    assert response.status_code == 404, response.text
    assert changed_tables(before, snapshot(world.app)) == []
