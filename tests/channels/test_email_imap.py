"""IMAP polling against a fake IMAP4rev1 server on 127.0.0.1: the UID cursor, a changed
UIDVALIDITY, bad credentials, an unreachable server, and the poll job storing what it fetched."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from email_support import (
    ACCOUNT,
    IMAP_PASSWORD,
    IMAP_USER,
    OUT_OF_OFFICE,
    EmailDesk,
    make_desk,
    plain_mail,
)
from fastapi.testclient import TestClient
from imap_fake_server import FakeImap
from smtp_fake_server import FakeSmtp
from sqlalchemy import func, select

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo, SendError
from socialdesk.channels.email import EmailChannel
from socialdesk.store.models import ChannelAccount, Conversation, RawEvent


@pytest.fixture
def imap() -> Iterator[FakeImap]:
    server = FakeImap(username=IMAP_USER, password=IMAP_PASSWORD).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp().start()
    try:
        yield server
    finally:
        server.stop()


def account_for(
    imap: FakeImap | None, *, port: int | None = None, password: str = IMAP_PASSWORD
) -> AccountInfo:
    return AccountInfo(
        id=ACCOUNT.id,
        workspace_id=1,
        platform="email",
        handle=ACCOUNT.handle,
        external_id=None,
        settings={
            "imap_host": "127.0.0.1",
            "imap_port": str(port if port is not None else imap.port if imap else 1),
            "imap_security": "plain",
            "imap_username": IMAP_USER,
        },
        credentials={"imap_password": password},
    )


def mail(n: int) -> bytes:
    return plain_mail(
        message_id=f"m{n}@mail.example.com",
        body=f"message number {n}",
        date=datetime(2025, 5, 19, 14, n, tzinfo=UTC),
    )


def test_the_cursor_fetches_every_message_once(imap: FakeImap) -> None:
    channel, account = EmailChannel(), account_for(imap)
    imap.add(mail(1))
    imap.add(mail(2))
    first = channel.poll(account, {})
    assert [i.external_id for i in first.items] == ["m1@mail.example.com", "m2@mail.example.com"]
    assert first.cursor == {"uidvalidity": 1001, "last_uid": 2}

    again = channel.poll(account, first.cursor)
    assert again.items == [] and again.cursor == first.cursor

    imap.add(mail(3))
    third = channel.poll(account, again.cursor)
    assert [i.external_id for i in third.items] == ["m3@mail.example.com"]
    assert third.cursor == {"uidvalidity": 1001, "last_uid": 3}
    assert imap.fetched == [1, 2, 3]  # nothing fetched twice
    # Read-only: the poller never marks the customers' mail as seen for the people reading it.
    assert any(c.split()[1] == "EXAMINE" for c in imap.commands)
    assert not any(c.split()[1] == "SELECT" for c in imap.commands)


def test_a_changed_uidvalidity_reads_the_mailbox_again(imap: FakeImap) -> None:
    channel, account = EmailChannel(), account_for(imap)
    imap.add(mail(1))
    cursor = channel.poll(account, {}).cursor
    imap.renumber()  # UIDs 100.. under UIDVALIDITY 1002
    imap.add(mail(2))
    result = channel.poll(account, cursor)
    assert [i.external_id for i in result.items] == ["m1@mail.example.com", "m2@mail.example.com"]
    assert result.cursor == {"uidvalidity": 1002, "last_uid": 101}


def test_a_large_backlog_is_read_in_batches(imap: FakeImap) -> None:
    channel, account = EmailChannel(), account_for(imap)
    for n in range(55):
        imap.add(plain_mail(message_id=f"b{n}@mail.example.com", body=str(n)))
    first = channel.poll(account, {})
    assert len(first.items) == 50 and first.next_poll_seconds == 0.0
    rest = channel.poll(account, first.cursor)
    assert len(rest.items) == 5 and rest.next_poll_seconds is None
    assert sorted(imap.fetched) == list(range(1, 56))


def test_refused_credentials_are_permanent(imap: FakeImap) -> None:
    with pytest.raises(SendError) as raised:
        EmailChannel().poll(account_for(imap, password="wrong"), {})
    assert raised.value.permanent
    assert "AUTHENTICATIONFAILED" in raised.value.reason


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(SendError) as raised:
        EmailChannel(timeout=2).poll(account_for(None, port=free_port), {})
    assert not raised.value.permanent


def test_an_account_without_imap_is_not_polled() -> None:
    account = AccountInfo(
        id=1, workspace_id=1, platform="email", handle="a@b.example", external_id=None
    )
    result = EmailChannel().poll(account, {"last_uid": 3})
    assert result.items == [] and result.cursor == {"last_uid": 3}


@pytest.fixture
def desk(app: App, web: TestClient, imap: FakeImap, smtp: FakeSmtp) -> EmailDesk:
    return make_desk(app, web, imap, smtp)


def _count(app: App, model: type) -> int:
    with app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_polled_mail_becomes_a_private_conversation_once(desk: EmailDesk) -> None:
    desk.imap.add(mail(1))
    desk.process()  # connecting the account queued its first poll
    listed = desk.get("/conversations").json()["items"]
    assert len(listed) == 1
    assert listed[0]["channel_account"]["platform"] == "email"
    assert listed[0]["has_private"] and not listed[0]["has_public"]
    detail = desk.get(f"/conversations/{listed[0]['id']}").json()
    assert [m["text"] for m in detail["messages"]] == ["message number 1"]

    desk.imap.add(mail(2))
    desk.poll_now()
    desk.imap.renumber()  # the server rebuilt the mailbox: both are read again...
    desk.poll_now()
    assert [m.text for m in desk.messages()] == ["message number 1", "message number 2"]
    assert _count(desk.app, RawEvent) == 2  # ...and deduplicated by Message-ID
    assert _count(desk.app, Conversation) == 1
    with desk.app.db.read_session() as session:
        account = session.get(ChannelAccount, desk.account_id)
        assert account is not None
        assert account.settings["poll_cursor"] == {"uidvalidity": 1002, "last_uid": 101}
        assert account.settings["poll_error"] is None


def test_an_out_of_office_joins_but_is_not_routed(desk: EmailDesk) -> None:
    desk.imap.add(mail(1))
    desk.imap.add(OUT_OF_OFFICE)
    desk.process()
    messages = desk.messages()
    assert [(m.author_kind, m.direction) for m in messages] == [("contact", "in"), ("bot", "in")]
    assert messages[1].conversation_id == messages[0].conversation_id
    flag = next(a for a in messages[1].attachments if a.get("type") == "email")
    assert flag["auto_submitted"] == "auto-submitted: auto-replied"
