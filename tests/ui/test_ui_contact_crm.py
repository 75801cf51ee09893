"""The contact panel links a customer to the brand's CRM (id and tier), with an event."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from ui_support import Caller, World

from socialdesk.store.models import Contact, Conversation, Event


def _contact(world: World) -> Contact:
    with world.app.db.read_session() as session:
        conv = session.get(Conversation, world.conversation_id)
        assert conv is not None
        contact = session.get(Contact, conv.contact_id)
        assert contact is not None
        return contact


def _post(agent: Caller, world: World, form: dict[str, str]) -> int:
    response = agent.client.post(
        f"/conversations/{world.conversation_id}/contact/crm",
        data=form,
        headers={"HX-Request": "true", "X-CSRF-Token": agent.csrf or ""},
    )
    return response.status_code


def test_an_agent_links_edits_and_clears_the_crm_id(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    assert _post(agent, world, {"crm_id": " CRM-1042 ", "crm_tier": "gold"}) == 200
    contact = _contact(world)
    assert (contact.crm_id, contact.crm_tier) == ("CRM-1042", "gold")
    page = agent.client.get(f"/conversations/{world.conversation_id}").text
    assert "CRM CRM-1042" in page and 'value="CRM-1042"' in page

    assert _post(agent, world, {"crm_id": "", "crm_tier": ""}) == 200
    contact = _contact(world)
    assert (contact.crm_id, contact.crm_tier) == (None, None)
    with world.app.db.read_session() as session:
        events = list(
            session.scalars(
                select(Event).where(Event.contact_id == contact.id, Event.type == "contact.updated")
            )
        )
    assert [e.data["after"]["crm_id"] for e in events] == ["CRM-1042", None]


def test_saving_the_same_values_again_records_nothing(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    agent = signed_in("agent")
    _post(agent, world, {"crm_id": "CRM-7"})
    _post(agent, world, {"crm_id": "CRM-7"})
    with world.app.db.read_session() as session:
        count = len(list(session.scalars(select(Event).where(Event.type == "contact.updated"))))
    assert count == 1


def test_an_overlong_crm_id_is_refused(world: World, signed_in: Callable[..., Caller]) -> None:
    agent = signed_in("agent")
    assert _post(agent, world, {"crm_id": "x" * 201}) == 422
    assert _contact(world).crm_id is None
