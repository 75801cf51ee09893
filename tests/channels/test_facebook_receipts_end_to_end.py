"""Messenger's read and delivery watermarks through the real webhook: Dana gets a private reply
to her comment and one on Messenger, reads them, and both turn ``read``; a reply sent after
her watermark, the public reply to her comment and anything already further along do not move;
Meta's redeliveries and late, older receipts change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from meta_fake_server import (
    PSID,
    MetaDesk,
    at_time,
    fixture,
)
from sqlalchemy import select

from socialdesk.domain.types import EventType
from socialdesk.pipeline.receipts import RECEIPT_JOB
from socialdesk.store.models import Event, Job, Message
from socialdesk.store.types import utcnow


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _watermark(name: str, up_to: int, *, seen: datetime) -> dict[str, Any]:
    """Messenger's ``read`` (or ``delivery`` without mids) from Dana, up to ``up_to`` ms."""
    payload = at_time(fixture(name), seen)
    item = payload["entry"][0]["messaging"][0]
    assert item["sender"]["id"] == PSID
    item["read" if "read" in item else "delivery"]["watermark"] = up_to
    return payload


def _reply(fb: MetaDesk, conversation_id: int, text: str, visibility: str) -> int:
    response = fb.post(
        f"/conversations/{conversation_id}/replies", {"text": text, "visibility": visibility}
    )
    assert response.status_code == 202, response.text
    fb.process()
    message_id: int = response.json()["id"]
    return message_id


def _states(fb: MetaDesk) -> dict[int, str]:
    return {m.id: m.delivery_state for m in fb.messages() if m.direction == "out"}


def _receipt_events(fb: MetaDesk) -> list[tuple[int | None, str]]:
    with fb.app.db.read_session() as session:
        events = session.scalars(
            select(Event).where(Event.type == EventType.MESSAGE_DELIVERY.value).order_by(Event.id)
        ).all()
    return [(e.message_id, e.data["state"]) for e in events if e.data.get("source") == "receipt"]


def test_a_read_watermark_reads_the_private_replies_sent_before_it(fb: MetaDesk) -> None:
    assert fb.deliver(
        at_time(fixture("facebook_comment"), utcnow() - timedelta(hours=2))
    ).is_success
    fb.process()
    [conversation] = fb.conversations()
    public = _reply(fb, conversation.id, "Sorry Dana, checking now.", "public")
    # A private reply to the comment: Meta's answer names her PSID, linked to her contact.
    to_comment = _reply(fb, conversation.id, "Could you DM us your account number?", "private")
    message = at_time(fixture("facebook_message"), utcnow() - timedelta(minutes=1))
    assert fb.deliver(message).is_success  # she writes on Messenger: the window opens
    fb.process()
    on_messenger = _reply(fb, conversation.id, "Thanks, an engineer is on the way.", "private")
    read_up_to = _millis(utcnow())  # Dana opens the chat and reads everything so far
    later = _reply(fb, conversation.id, "He will call you first.", "private")
    assert len(fb.fake.requests) == 4  # one public and three private replies
    assert set(_states(fb).values()) == {"sent"}
    with fb.app.db.read_session() as session:
        times = dict(session.execute(select(Message.id, Message.platform_time)).all())
    assert times[on_messenger] <= datetime.fromtimestamp(read_up_to / 1000, UTC)
    assert times[later] > datetime.fromtimestamp(read_up_to / 1000, UTC)

    read = _watermark("facebook_read", read_up_to, seen=utcnow())
    assert fb.deliver(read).status_code == 200
    fb.process()

    assert _states(fb) == {
        public: "sent",  # a public reply is not part of the Messenger thread
        to_comment: "read",
        on_messenger: "read",
        later: "sent",
    }
    assert _receipt_events(fb) == [(to_comment, "read"), (on_messenger, "read")]
    with fb.app.db.read_session() as session:  # nothing left to wait for
        assert session.scalar(select(Job).where(Job.kind == RECEIPT_JOB)) is None
    [inbound_state] = {m.delivery_state for m in fb.messages() if m.direction == "in"}
    assert inbound_state == "received"

    # Meta delivers the read again, then a delivery and an older read arrive late.
    assert fb.deliver(read).status_code == 200
    delivery = _watermark("facebook_delivery_watermark", read_up_to, seen=utcnow())
    assert fb.deliver(delivery).status_code == 200
    older = _watermark("facebook_read", read_up_to - 60_000, seen=utcnow())
    older["entry"][0]["time"] += 1  # another delivery, not the same payload again
    assert fb.deliver(older).status_code == 200
    fb.process()

    assert _states(fb) == {public: "sent", to_comment: "read", on_messenger: "read", later: "sent"}
    assert _receipt_events(fb) == [(to_comment, "read"), (on_messenger, "read")]

    # She reads the last one too.
    fb.deliver(_watermark("facebook_read", _millis(utcnow()), seen=utcnow()))
    fb.process()
    assert _states(fb)[later] == "read"
    assert _states(fb)[public] == "sent"
