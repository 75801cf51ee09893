"""The Facebook webhook (/hooks/facebook/{id}): Meta's subscription check, signatures,
store-before-answer, redeliveries, and deliveries for several Pages of one app."""

from __future__ import annotations

import json

from meta_fake_server import (
    COMMENT_ID,
    VERIFY_TOKEN,
    MetaDesk,
    connect_meta,
    fixture,
    fixture_bytes,
)
from sqlalchemy import func, select

from socialdesk.store.models import Message, RawEvent


def _raw_count(fb: MetaDesk) -> int:
    with fb.app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(RawEvent)) or 0


def test_the_subscription_check_echoes_the_challenge(fb: MetaDesk) -> None:
    response = fb.client.get(
        f"/hooks/facebook/{fb.account_id}",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )

    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


def test_a_wrong_verify_token_is_refused(fb: MetaDesk) -> None:
    response = fb.client.get(
        f"/hooks/facebook/{fb.account_id}",
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    )

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "verify_token" in response.json()["detail"]


def test_a_check_without_its_parameters_is_a_bad_request(fb: MetaDesk) -> None:
    response = fb.client.get(f"/hooks/facebook/{fb.account_id}")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_delivery_is_stored_then_processed_into_a_conversation(fb: MetaDesk) -> None:
    response = fb.deliver(fixture_bytes("facebook_comment"))

    assert response.status_code == 200
    [stored] = response.json()["stored"]
    assert stored == {
        "channel_account_id": fb.account_id,
        "raw_event_id": stored["raw_event_id"],
        "duplicate": False,
    }
    assert fb.messages() == []  # stored first, processed by the ingest job
    fb.process()
    [message] = fb.messages()
    assert (message.platform_message_id, message.visibility) == (COMMENT_ID, "public")
    assert len(fb.conversations()) == 1


def test_the_signature_covers_the_raw_bytes_with_escaped_unicode(fb: MetaDesk) -> None:
    raw = fixture_bytes("facebook_comment")
    assert b"\\u00e1" in raw  # as Meta sends it

    assert fb.deliver(raw).status_code == 200
    # The same JSON re-encoded is other bytes: the signature of the original does not match.
    reencoded = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    response = fb.client.post(
        f"/hooks/facebook/{fb.account_id}",
        content=reencoded,
        headers={"x-hub-signature-256": fb.deliver(raw).request.headers["x-hub-signature-256"]},
    )
    assert response.status_code == 403


def test_a_missing_signature_is_401_and_stores_nothing(fb: MetaDesk) -> None:
    response = fb.client.post(
        f"/hooks/facebook/{fb.account_id}", content=fixture_bytes("facebook_comment")
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert _raw_count(fb) == 0


def test_a_signature_made_with_another_secret_is_403_and_stores_nothing(fb: MetaDesk) -> None:
    response = fb.deliver(fixture("facebook_comment"), secret="not-the-app-secret")

    assert response.status_code == 403
    assert "X-Hub-Signature-256" in response.json()["detail"]
    assert _raw_count(fb) == 0


def test_an_unknown_account_is_404(fb: MetaDesk) -> None:
    response = fb.deliver(fixture("facebook_comment"), account_id=fb.account_id + 999)

    assert response.status_code == 404


def test_an_unparsable_delivery_is_400(fb: MetaDesk) -> None:
    response = fb.deliver(b"{not json")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert _raw_count(fb) == 0


def test_an_instagram_delivery_on_the_facebook_hook_is_400(fb: MetaDesk) -> None:
    response = fb.deliver(fixture("instagram_comment"))

    assert response.status_code == 400
    assert "object" in response.json()["detail"]


def test_a_redelivery_changes_nothing(fb: MetaDesk) -> None:
    first = fb.deliver(fixture_bytes("facebook_message"))
    fb.process()
    again = fb.deliver(fixture_bytes("facebook_message"))
    fb.process()

    assert again.json()["stored"][0]["duplicate"] is True
    assert again.json()["stored"][0]["raw_event_id"] == first.json()["stored"][0]["raw_event_id"]
    assert len(fb.messages()) == 1


def test_the_same_message_in_another_batch_is_not_stored_twice(fb: MetaDesk) -> None:
    fb.deliver(fixture("facebook_message"))
    batch = fixture("facebook_message")
    batch["entry"][0]["time"] += 1  # other bytes, same mid
    fb.deliver(batch)
    fb.process()

    assert len(fb.messages()) == 1
    assert _raw_count(fb) == 2


def test_a_delivery_for_two_pages_of_the_app_is_filed_under_each(fb: MetaDesk) -> None:
    other_page = "101202303404505"
    other_id = connect_meta(
        fb.app,
        fb.workspace_id,
        "facebook",
        fb.fake.url,
        handle="acmemobile",
        external_id=other_page,
    )
    payload = fixture("facebook_comment")
    second = fixture("facebook_message")["entry"][0]
    second["id"] = other_page
    second["messaging"][0]["recipient"]["id"] = other_page
    payload["entry"].append(second)

    response = fb.deliver(payload)
    fb.process()

    assert {s["channel_account_id"] for s in response.json()["stored"]} == {
        fb.account_id,
        other_id,
    }
    assert [m.platform_message_id for m in fb.messages()] == [COMMENT_ID]
    with fb.app.db.read_session() as session:
        on_other = session.scalars(
            select(Message.platform_message_id).where(Message.channel_account_id == other_id)
        ).all()
    assert on_other == ["m_1457764197618:41d102a3e1ae206a38"]
