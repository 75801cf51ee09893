"""Replies by SMTP to a local aiosmtpd server: headers that thread in mail clients, the
Message-ID derived from the idempotency key, AUTH, and 4xx/5xx answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from email_support import (
    BRAND,
    CUSTOMER,
    IMAP_PASSWORD,
    IMAP_USER,
    SMTP_PASSWORD,
    EmailDesk,
    make_desk,
    plain_mail,
)
from fastapi.testclient import TestClient
from imap_fake_server import FakeImap
from smtp_fake_server import FakeSmtp

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo, OutboundMessage, SendError
from socialdesk.channels.email import EmailChannel, message_id_for


@pytest.fixture
def imap() -> Iterator[FakeImap]:
    server = FakeImap(username=IMAP_USER, password=IMAP_PASSWORD).start()
    try:
        yield server
    finally:
        server.stop()


def account(smtp: FakeSmtp, password: str = SMTP_PASSWORD) -> AccountInfo:
    return AccountInfo(
        id=3,
        workspace_id=1,
        platform="email",
        handle=BRAND,
        external_id=None,
        settings={
            "smtp_host": smtp.host,
            "smtp_port": str(smtp.port),
            "smtp_security": "plain",
            "from_name": "Acme Care",
        },
        credentials={"smtp_password": password},
    )


def outbound(key: str = "ws1:key-1", **changes: object) -> OutboundMessage:
    values: dict[str, object] = {
        "idempotency_key": key,
        "visibility": "private",
        "text": "Hello Dana,\n\nwe fixed it.\n<b>not bold</b>",
        "recipient_external_id": CUSTOMER,
        "recipient_handle": CUSTOMER,
        "reply_to_platform_id": "their-1@mail.example.com",
    }
    values.update(changes)
    return OutboundMessage(**values)  # type: ignore[arg-type]


def test_a_reply_is_multipart_with_threading_headers(smtp: FakeSmtp) -> None:
    result = EmailChannel().send(account(smtp), outbound())
    [captured] = smtp.received
    assert captured.mail_from == BRAND and captured.rcpt_tos == [CUSTOMER]
    assert smtp.auth_attempts  # logged in
    msg = captured.message
    assert msg["From"] == f"Acme Care <{BRAND}>"
    assert msg["To"] == CUSTOMER
    assert msg["In-Reply-To"] == "<their-1@mail.example.com>"
    assert msg["References"] == "<their-1@mail.example.com>"
    assert msg["Message-ID"] == f"<{message_id_for('ws1:key-1', BRAND)}>"
    assert result.platform_message_id == message_id_for("ws1:key-1", BRAND)
    assert msg["Subject"] == "Your conversation with Acme Care"  # no mail answered yet
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    wire = text.get_content()
    assert wire.replace("\r\n", "\n") == "Hello Dana,\n\nwe fixed it.\n<b>not bold</b>\n"
    assert "<p>Hello Dana,</p>" in html.get_content()
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html.get_content()  # text stays text


def test_the_same_idempotency_key_gives_the_same_message_id(smtp: FakeSmtp) -> None:
    channel = EmailChannel()
    channel.send(account(smtp), outbound("ws1:k"))
    channel.send(account(smtp), outbound("ws1:k"))  # a resend after a crash
    channel.send(account(smtp), outbound("ws1:other"))
    ids = [c.message["Message-ID"] for c in smtp.received]
    assert ids[0] == ids[1] != ids[2]


def test_a_subject_extra_and_a_non_mail_reply_link(smtp: FakeSmtp) -> None:
    EmailChannel().send(
        account(smtp),
        outbound(
            extras=({"type": "email", "subject": "Your refund"},),
            reply_to_platform_id="1924465506158878979",  # an X DM: no Message-ID
        ),
    )
    msg = smtp.received[0].message
    assert msg["Subject"] == "Your refund"
    assert msg["In-Reply-To"] is None and msg["References"] is None


@pytest.mark.parametrize(
    ("stage", "reply", "permanent"),
    [
        ("rcpt", "450 4.2.1 Mailbox busy, try later", False),
        ("data", "451 4.7.1 Greylisted, come back in 5 minutes", False),
        ("rcpt", "550 5.1.1 No such user here", True),
        ("data", "552 5.3.4 Message too big", True),
    ],
)
def test_4xx_is_transient_5xx_permanent_with_the_servers_text(
    smtp: FakeSmtp, stage: str, reply: str, permanent: bool
) -> None:
    smtp.fail_next(stage, reply)
    with pytest.raises(SendError) as raised:
        EmailChannel().send(account(smtp), outbound())
    assert raised.value.permanent is permanent
    assert reply.split(" ", 1)[1] in raised.value.reason
    assert smtp.received == []


def test_refused_login_is_permanent(smtp: FakeSmtp) -> None:
    with pytest.raises(SendError) as raised:
        EmailChannel().send(account(smtp, password="wrong"), outbound())
    assert raised.value.permanent and "535" in raised.value.reason


def test_no_address_or_a_public_reply_is_refused(smtp: FakeSmtp) -> None:
    with pytest.raises(SendError, match="no email address"):
        EmailChannel().send(account(smtp), outbound(recipient_external_id=None))
    with pytest.raises(SendError, match="private"):
        EmailChannel().send(account(smtp), outbound(visibility="public"))
    assert smtp.received == []


@pytest.fixture
def desk(app: App, web: TestClient, imap: FakeImap, smtp: FakeSmtp) -> EmailDesk:
    return make_desk(app, web, imap, smtp)


def test_an_agent_answers_a_polled_mail_through_the_api(desk: EmailDesk) -> None:
    desk.imap.add(plain_mail(references="<older@mail.example.com>"))
    desk.process()
    [conv] = desk.get("/conversations").json()["items"]
    public = desk.post(
        f"/conversations/{conv['id']}/replies", {"text": "Hi all", "visibility": "public"}
    )
    assert public.status_code in (409, 422), public.text  # email has no public side
    response = desk.post(
        f"/conversations/{conv['id']}/replies",
        {"text": "Sorry Dana, we reset it.", "visibility": "private", "idempotency_key": "r1"},
    )
    assert response.status_code == 202, response.text
    desk.process()

    [captured] = desk.smtp.received
    msg = captured.message
    assert captured.rcpt_tos == [CUSTOMER]
    assert msg["Subject"] == "Re: My router keeps dropping"
    assert msg["In-Reply-To"] == "<plain-1@mail.example.com>"
    assert msg["References"] == "<older@mail.example.com> <plain-1@mail.example.com>"
    detail = desk.get(f"/conversations/{conv['id']}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "sent"
    assert f"<{out['platform_message_id']}>" == msg["Message-ID"]


def test_a_permanent_refusal_is_shown_on_the_message(desk: EmailDesk) -> None:
    desk.imap.add(plain_mail())
    desk.process()
    [conv] = desk.get("/conversations").json()["items"]
    desk.smtp.fail_next("rcpt", "550 5.1.1 <dana.k@example.com>: Recipient address rejected")
    desk.post(f"/conversations/{conv['id']}/replies", {"text": "Hi", "visibility": "private"})
    desk.process()
    detail = desk.get(f"/conversations/{conv['id']}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "failed"
    assert "550" in out["delivery_error"] and "Recipient address rejected" in out["delivery_error"]
    assert desk.smtp.received == []
