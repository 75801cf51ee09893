"""Fixtures of the channel tests: a fake X server on 127.0.0.1 and a workspace whose X account
talks to it (on SQLite and PostgreSQL, through the ``app`` fixture); a fake SMTP server, our
SMTP receiver, and a fake Twilio with the workspace's number beside its X account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from desk_kit import acme_agent
from email_support import SMTP_PASSWORD, SMTP_USER
from fastapi.testclient import TestClient
from meta_fake_server import FakeGraph, MetaDesk, facebook_graph, make_desk
from smtp_fake_server import FakeSmtp
from twilio_fake_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, SmsDesk, connect_number
from x_fake_server import FakeX
from x_support import ACCESS_TOKEN, BRAND_ID, XDesk, connect_x

from socialdesk.bootstrap import App
from socialdesk.channels.email.receiver import MailReceiver
from socialdesk.web.app import create_app


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    server = FakeX(token=ACCESS_TOKEN, brand_id=BRAND_ID).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app, run_workers=False)) as client:
        yield client


@pytest.fixture
def x(app: App, web: TestClient, fake_x: FakeX) -> XDesk:
    """The acme workspace, an agent with an API token, and @acmecare on (the fake) X."""
    workspace_id, _, token = acme_agent(app)
    account_id = connect_x(app, workspace_id, fake_x)
    return XDesk(
        app=app,
        client=web,
        fake=fake_x,
        workspace_id=workspace_id,
        account_id=account_id,
        api_token=token,
    )


@pytest.fixture
def wa(app: App, web: TestClient) -> Iterator[object]:
    """The acme workspace with a WhatsApp number on the fake Cloud API (whatsapp_fake_server)."""
    from whatsapp_fake_server import whatsapp_desk

    yield from whatsapp_desk(app, web)


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    """A fake SMTP server that wants our account's login."""
    server = FakeSmtp(username=SMTP_USER, password=SMTP_PASSWORD).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver(x: XDesk) -> Iterator[MailReceiver]:
    """Our SMTP receiver: mail the customer sends us."""
    server = MailReceiver(x.app.db).start(host="127.0.0.1")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sms(x: XDesk, twilio: FakeTwilio) -> SmsDesk:
    """The acme workspace's Twilio number, beside its X account (the same agent's token)."""
    account_id = connect_number(x.app, x.workspace_id, twilio.url)
    return SmsDesk(x.app, x.client, twilio, x.workspace_id, account_id, x.api_token)


@pytest.fixture
def facebook_fake() -> Iterator[FakeGraph]:
    """A fake Graph API for a Facebook Page."""
    server = facebook_graph().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fb(app: App, web: TestClient, facebook_fake: FakeGraph) -> MetaDesk:
    """The acme workspace with its Facebook Page wired to the fake Graph API."""
    return make_desk(app, web, "facebook", facebook_fake)
