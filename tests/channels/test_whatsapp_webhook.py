"""The WhatsApp webhook (web/hooks/whatsapp.py): subscription check, signatures, storage
before the answer, redeliveries, and deliveries for several phone numbers."""

from __future__ import annotations

from sqlalchemy import func, select
from whatsapp_fake_server import (
    CUSTOMER_WA_ID,
    VERIFY_TOKEN,
    WaDesk,
    encode,
    fixture,
    meta_signature,
    value_of,
)

from socialdesk.store.models import ContactIdentity, Message, RawEvent


def _raw_count(wa: WaDesk) -> int:
    with wa.app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(RawEvent)) or 0


def _verify(wa: WaDesk, **params: str) -> dict[str, str]:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    query.update(params)
    return query


def test_the_subscription_check_echoes_the_challenge(wa: WaDesk) -> None:
    response = wa.client.get(f"/hooks/whatsapp/{wa.account_id}", params=_verify(wa))

    assert response.status_code == 200, response.text
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


def test_a_wrong_verify_token_or_mode_is_403(wa: WaDesk) -> None:
    for params in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}):
        response = wa.client.get(f"/hooks/whatsapp/{wa.account_id}", params=_verify(wa, **params))

        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_check_without_its_parameters_is_422_and_unknown_accounts_404(wa: WaDesk) -> None:
    missing = wa.client.get(f"/hooks/whatsapp/{wa.account_id}", params={"hub.mode": "subscribe"})
    unknown = wa.client.get(f"/hooks/whatsapp/{wa.account_id + 99}", params=_verify(wa))

    assert missing.status_code == 422
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_a_signed_message_is_stored_before_the_answer_and_processed_by_the_job(
    wa: WaDesk,
) -> None:
    response = wa.deliver(fixture("text"))

    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    assert _raw_count(wa) == 1
    assert wa.messages() == []  # processed later, by the ingest job
    wa.process()
    [message] = wa.messages()
    assert (message.direction, message.visibility) == ("in", "private")
    assert message.text == "Hi, my order #88123 never arrived. Can you help?"
    with wa.app.db.read_session() as session:
        identity = session.scalar(
            select(ContactIdentity).where(ContactIdentity.external_id == CUSTOMER_WA_ID)
        )
        assert identity is not None
        assert (identity.platform, identity.handle) == ("whatsapp", f"+{CUSTOMER_WA_ID}")


def test_non_ascii_text_is_signed_and_read_as_meta_sends_it(wa: WaDesk) -> None:
    payload = fixture("text")
    value_of(payload)["messages"][0]["text"]["body"] = "Grüße, ça va? 👍"

    assert wa.deliver(payload).status_code == 200
    wa.process()

    [message] = wa.messages()
    assert message.text == "Grüße, ça va? 👍"


def test_a_missing_signature_is_401_and_nothing_is_stored(wa: WaDesk) -> None:
    response = wa.client.post(
        f"/hooks/whatsapp/{wa.account_id}",
        content=encode(fixture("text")),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _raw_count(wa) == 0


def test_a_signature_with_another_secret_is_403_and_nothing_is_stored(wa: WaDesk) -> None:
    response = wa.deliver(fixture("text"), secret="not-the-app-secret")

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _raw_count(wa) == 0


def test_a_signature_of_other_bytes_is_403(wa: WaDesk) -> None:
    body = encode(fixture("text"))
    response = wa.client.post(
        f"/hooks/whatsapp/{wa.account_id}",
        content=body + b" ",
        headers={
            "content-type": "application/json",
            "x-hub-signature-256": meta_signature("5c1f0b4a8e0d2b7f9a3c6e1d4b8f2a7c", body),
        },
    )

    assert response.status_code == 403


def test_an_unparsable_payload_is_400_and_not_stored(wa: WaDesk) -> None:
    response = wa.deliver(b'{"object": "page", "entry": []}')

    assert response.status_code == 400
    assert "whatsapp_business_account" in response.json()["detail"]
    assert _raw_count(wa) == 0


def test_redeliveries_change_nothing(wa: WaDesk) -> None:
    first = wa.deliver(fixture("text"))
    again = wa.deliver(fixture("text"))
    wa.process()
    # The same message in other bytes (Meta's retry may reorder keys): deduplicated on wamid.
    reordered = fixture("text")
    reordered["entry"][0]["changes"][0]["value"] = dict(reversed(list(value_of(reordered).items())))
    assert wa.deliver(reordered).json()["duplicate"] is False
    wa.process()

    assert again.json() == {"raw_event_ids": first.json()["raw_event_ids"], "duplicate": True}
    assert len(wa.messages()) == 1
    assert len(wa.conversations()) == 1


def test_a_batch_for_two_numbers_files_each_change_under_its_account(wa: WaDesk) -> None:
    second_id = wa.connect(handle="15550009999", external_id="200300400500600")
    payload = fixture("text")
    other_change = fixture("location")["entry"][0]["changes"][0]
    other_change["value"]["metadata"]["phone_number_id"] = "200300400500600"
    payload["entry"][0]["changes"].append(other_change)

    response = wa.deliver(payload)
    wa.process()

    assert response.status_code == 200
    assert len(response.json()["raw_event_ids"]) == 2
    with wa.app.db.read_session() as session:
        by_account = {
            m.channel_account_id: m.text
            for m in session.scalars(select(Message).where(Message.direction == "in"))
        }
    assert by_account == {
        wa.account_id: "Hi, my order #88123 never arrived. Can you help?",
        second_id: "Location: Pickup point, 1 Hacker Way, Menlo Park, CA 94025",
    }
