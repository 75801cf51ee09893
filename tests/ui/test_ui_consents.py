"""The contact panel lists the customer's consents to email and SMS, and an agent withdraws
one with its form; the composer then explains why an email is refused.

Through TestClient with a real sign-in, on SQLite and PostgreSQL (the ``world`` fixture: acme's
customer @dana has an SMS consent on record, ``world.consent_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from sqlalchemy import select
from ui_support import Caller, World, changed_tables, snapshot

from socialdesk.store.models import ContactConsent, Event

HTMX = {"HX-Request": "true"}


def _panel(html: str) -> str:
    return html.split('aria-label="Customer"', 1)[1].split("</aside>", 1)[0]


def _consents(html: str) -> str:
    return _panel(html).split('aria-label="Consents to email and SMS"', 1)[1].split("</section>")[0]


def _withdraw_url(world: World, consent_id: int) -> str:
    return f"/conversations/{world.conversation_id}/contact/consents/{consent_id}/withdraw"


def test_panel_lists_consents_and_the_withdraw_form_works(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    html = agent.client.get(f"/conversations/{world.conversation_id}", headers=HTMX).text
    listed = _consents(html)
    assert f'data-consent="{world.consent_id}"' in listed
    assert "+14155550123" in listed and "Given <time" in listed
    assert "withdrawn" not in listed
    form = listed.split("<form", 1)[1].split("</form>", 1)[0]
    assert f'/contact/consents/{world.consent_id}/withdraw"' in form.split("hx-post=", 1)[1]
    assert f'name="csrf_token" value="{agent.csrf}"' in form
    assert ">Withdraw</button>" in form

    # A plain form post, the token in the form field (as without htmx).
    response = agent.client.post(
        _withdraw_url(world, world.consent_id), data={"csrf_token": agent.csrf or ""}
    )

    assert response.status_code == 200, response.text
    listed = _consents(response.text)
    assert "<form" not in listed  # nothing left to withdraw
    assert ">withdrawn</span>" in listed and " · withdrawn <time" in listed
    with world.app.db.read_session() as session:
        consent = session.get_one(ContactConsent, world.consent_id)
        assert consent.withdrawn_at is not None
        [event] = session.scalars(
            select(Event).where(Event.type == "contact.consent_withdrawn")
        ).all()
    assert (event.actor_kind, event.actor_user_id) == ("agent", world.users["agent"])
    assert event.data == {"consent_id": world.consent_id, "channel": "sms"}

    # Withdrawing twice changes nothing.
    before = snapshot(world.app)
    again = agent.client.post(
        _withdraw_url(world, world.consent_id), headers={**HTMX, "X-CSRF-Token": agent.csrf or ""}
    )
    assert again.status_code == 200, again.text
    assert changed_tables(before, snapshot(world.app)) == []


def test_another_customers_consent_is_not_found_and_nothing_changes(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    before = snapshot(world.app)
    for consent_id in (world.other_consent_id, 424242):  # globex's customer's, and none
        response = agent.client.post(
            _withdraw_url(world, consent_id), headers={**HTMX, "X-CSRF-Token": agent.csrf or ""}
        )
        assert response.status_code == 404, response.text
    assert changed_tables(before, snapshot(world.app)) == []


def test_after_withdrawing_email_the_composer_explains_the_refusal(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    headers = {**HTMX, "X-CSRF-Token": agent.csrf or ""}
    moved = agent.client.post(
        f"/conversations/{world.conversation_id}/continue",
        data={
            "channel": "email",
            "address": "dana@example.com",
            "request_text": "May we continue by email? Customer: yes, dana@example.com",
        },
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    with world.app.db.read_session() as session:
        email_consent = session.scalars(
            select(ContactConsent.id).where(ContactConsent.channel == "email")
        ).one()
    panel = _consents(moved.text)
    assert panel.index(f'data-consent="{email_consent}"') < panel.index(
        f'data-consent="{world.consent_id}"'
    )  # newest first
    withdrawn = agent.client.post(_withdraw_url(world, email_consent), headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    # The continued conversation's timeline tells it.
    assert "Agent withdrew the customer's consent to email · " in unescape(withdrawn.text)
    before = snapshot(world.app)

    sent = agent.client.post(
        f"/conversations/{world.conversation_id}/send",
        data={"mode": "private", "text": "Here is your invoice.", "seen_outbound_id": "0"},
        headers=headers,
    )

    assert sent.status_code == 409, sent.text
    text = unescape(sent.text)
    assert "Not sent: the customer withdrew their consent to email on " in text
    assert "(recorded by Agent)" in text
    assert "Answer them on Sandbox instead, where this conversation started (Acme, @acmecare)" in (
        text
    )
    assert "Here is your invoice." in text  # the draft is kept
    assert changed_tables(before, snapshot(world.app)) == []
