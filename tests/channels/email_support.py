"""Test kit for the email connector: the brand's mailbox, sample mail in the shapes common
mail clients write, and connecting an account to the fake IMAP and SMTP servers."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from desk_kit import AccountDesk, acme_agent, connect
from fastapi.testclient import TestClient
from imap_fake_server import FakeImap
from smtp_fake_server import FakeSmtp
from sqlalchemy import ColumnElement

import socialdesk.channels.email as email_channel
from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo
from socialdesk.jobs.queue import ClaimedJob
from socialdesk.pipeline.polling import POLL_JOB, make_poll_handler
from socialdesk.store.models import Message

BRAND = "care@acme.example"
CUSTOMER = "dana.k@example.com"
IMAP_USER = "care@acme.example"
IMAP_PASSWORD = "imap-secret-1"
SMTP_USER = "care@acme.example"
SMTP_PASSWORD = "smtp-secret-2"

ACCOUNT = AccountInfo(
    id=7, workspace_id=1, platform="email", handle=BRAND, external_id=None, settings={}
)


def raw(text: str) -> bytes:
    """A message written out as text (headers, blank line, body) in CRLF form."""
    return textwrap.dedent(text).lstrip("\n").replace("\n", "\r\n").encode("utf-8")


def plain_mail(
    *,
    message_id: str = "plain-1@mail.example.com",
    sender: str = "Dana K <Dana.K@Example.com>",
    subject: str = "My router keeps dropping",
    body: str = "Hi, my router drops the connection every evening.\n\nDana",
    in_reply_to: str | None = None,
    references: str | None = None,
    date: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = f"Acme Care <{BRAND}>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2025, 5, 19, 14, 2, 0, tzinfo=UTC))
    if message_id:
        msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


HTML_ONLY = raw(
    """
    From: "Dana K" <dana.k@example.com>
    To: care@acme.example
    Subject: Billing question
    Date: Mon, 19 May 2025 15:00:00 +0200
    Message-ID: <html-1@mail.example.com>
    MIME-Version: 1.0
    Content-Type: text/html; charset="utf-8"
    Content-Transfer-Encoding: quoted-printable

    <html><head><style>p {color: red}</style></head><body>
    <p>Hello,</p><p>I was charged twice for May &amp; June.<br>Can you refund one?</p>
    <div class=3D"gmail_quote">On Fri, 16 May 2025, Acme Care &lt;care@acme.example&gt; wro=
    te:<blockquote>Your invoice is attached.</blockquote></div>
    </body></html>
    """
)


def with_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dana K <{CUSTOMER}>"
    msg["To"] = BRAND
    msg["Subject"] = "Invoice attached"
    msg["Date"] = "Mon, 19 May 2025 16:00:00 +0000"
    msg["Message-ID"] = "<attach-1@mail.example.com>"
    msg.set_content("Please see the invoice attached.")
    msg.add_alternative("<p>Please see the <b>invoice</b> attached.</p>", subtype="html")
    msg.add_attachment(
        b"%PDF-1.4 fake invoice" + bytes(range(256)),
        maintype="application",
        subtype="pdf",
        filename="invoice-0525.pdf",
    )
    msg.add_attachment(
        b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", filename="bill.png"
    )
    return msg.as_bytes()


FORWARDED_INLINE = raw(
    """
    From: Dana K <dana.k@example.com>
    To: care@acme.example
    Subject: Fwd: Your order has shipped
    Date: Mon, 19 May 2025 17:00:00 +0000
    Message-ID: <fwd-1@mail.example.com>
    Content-Type: text/plain; charset="utf-8"

    This says shipped but nothing arrived.

    ---------- Forwarded message ---------
    From: Acme Shop <shop@acme.example>
    Date: Thu, 15 May 2025 at 09:12
    Subject: Your order has shipped
    To: <dana.k@example.com>

    Your order #48213 is on its way.
    """
)


def forwarded_as_attachment() -> bytes:
    inner = EmailMessage()
    inner["From"] = "Acme Shop <shop@acme.example>"
    inner["To"] = CUSTOMER
    inner["Subject"] = "Your order has shipped"
    inner["Message-ID"] = "<shop-48213@acme.example>"
    inner.set_content("Your order #48213 is on its way.")
    outer = EmailMessage()
    outer["From"] = f"Dana K <{CUSTOMER}>"
    outer["To"] = BRAND
    outer["Subject"] = "Fwd: Your order has shipped"
    outer["Date"] = "Mon, 19 May 2025 17:30:00 +0000"
    outer["Message-ID"] = "<fwd-2@mail.example.com>"
    outer.set_content("See below: it never came.")
    outer.add_attachment(inner)
    return outer.as_bytes()


GMAIL_REPLY = raw(
    """
    From: Dana K <dana.k@example.com>
    To: Acme Care <care@acme.example>
    Subject: Re: Your conversation with Acme Care
    Date: Mon, 19 May 2025 18:00:00 +0000
    Message-ID: <CAgmail-reply-1@mail.gmail.com>
    In-Reply-To: <ours-1.socialdesk@acme.example>
    References: <older@acme.example> <ours-1.socialdesk@acme.example>
    Content-Type: text/plain; charset="UTF-8"

    Thanks, the line works again!

    On Mon, 19 May 2025 at 17:45, Acme Care <care@acme.example>
    wrote:

    > We reset your line, please try again.
    >
    > Acme Care
    """
)

OUTLOOK_REPLY = raw(
    """
    From: Dana K <dana.k@example.com>
    To: care@acme.example
    Subject: RE: Billing question
    Date: Mon, 19 May 2025 18:10:00 +0000
    Message-ID: <outlook-1@mail.example.com>
    References: <first@acme.example> <ours-2.socialdesk@acme.example>
    Content-Type: text/plain; charset="us-ascii"

    Refund received, thank you.

    ________________________________
    From: Acme Care <care@acme.example>
    Sent: Monday, May 19, 2025 5:50 PM
    To: Dana K <dana.k@example.com>
    Subject: Re: Billing question

    We have refunded the second charge.
    """
)

IPHONE_REPLY = raw(
    """
    From: Dana K <dana.k@example.com>
    To: care@acme.example
    Subject: Re: Billing question
    Date: Mon, 19 May 2025 18:20:00 +0000
    Message-ID: <iphone-1@mail.example.com>
    In-Reply-To: <ours-3.socialdesk@acme.example>
    Content-Type: text/plain; charset="utf-8"

    Perfect, all sorted.

    Sent from my iPhone

    > On 19 May 2025, at 17:55, Acme Care <care@acme.example> wrote:
    >
    > Anything else we can help with?
    """
)

OUT_OF_OFFICE = raw(
    """
    From: Dana K <dana.k@example.com>
    To: care@acme.example
    Subject: Automatic reply: Your conversation with Acme Care
    Date: Mon, 19 May 2025 18:30:00 +0000
    Message-ID: <ooo-1@mail.example.com>
    In-Reply-To: <ours-4.socialdesk@acme.example>
    Auto-Submitted: auto-replied
    Content-Type: text/plain; charset="utf-8"

    I am out of the office until Monday.
    """
)

BOUNCE = raw(
    """
    From: Mail Delivery Subsystem <MAILER-DAEMON@mx.acme.example>
    To: care@acme.example
    Subject: Undelivered Mail Returned to Sender
    Date: Mon, 19 May 2025 18:40:00 +0000
    Message-ID: <bounce-1@mx.acme.example>
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

    --BOUND
    Content-Type: text/plain; charset=us-ascii

    This is the mail system. Your message could not be delivered.

    --BOUND
    Content-Type: message/delivery-status

    Reporting-MTA: dns; mx.acme.example
    Final-Recipient: rfc822; nobody@example.com
    Action: failed
    Status: 5.1.1

    --BOUND--
    """
)

NEWSLETTER = raw(
    """
    From: Deals <deals@shop.example>
    To: care@acme.example
    Subject: 50% off this week
    Date: Mon, 19 May 2025 18:50:00 +0000
    Message-ID: <news-1@shop.example>
    Precedence: bulk
    Content-Type: text/plain; charset="utf-8"

    Big savings inside.
    """
)

LATIN1_8BIT = (
    b"From: =?iso-8859-1?q?Ren=E9e_Dupr=E9?= <renee@example.fr>\r\n"
    b"To: care@acme.example\r\n"
    b"Subject: =?iso-8859-1?q?Probl=E8me_de_facture?=\r\n"
    b"Date: Mon, 19 May 2025 19:00:00 +0200\r\n"
    b"Message-ID: <latin1-1@example.fr>\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Ma facture est erron\xe9e, merci de v\xe9rifier.\r\n"
)


def connect_email(
    app: App,
    workspace_id: int,
    *,
    imap: FakeImap | None = None,
    smtp: FakeSmtp | None = None,
    **overrides: str,
) -> int:
    values = {
        "handle": BRAND,
        "from_name": "Acme Care",
        "smtp_host": smtp.host if smtp else "127.0.0.1",
        "smtp_port": str(smtp.port if smtp else 1),
        "smtp_security": "plain",
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
        **(
            {
                "imap_host": imap.host,
                "imap_port": str(imap.port),
                "imap_security": "plain",
                "imap_username": IMAP_USER,
                "imap_password": IMAP_PASSWORD,
            }
            if imap
            else {}
        ),
        **overrides,
    }
    return connect(
        app, workspace_id, email_channel.CONNECTION, name="Acme Care mail", values=values
    )


@dataclass
class EmailDesk(AccountDesk):
    """The acme workspace with an agent's API token and an email account on the fakes."""

    imap: FakeImap
    smtp: FakeSmtp

    def poll_now(self) -> None:
        """One poll of the account by the worker's handler, then every due job (ingest)."""
        handler = make_poll_handler(self.app.db, self.app.channels, cipher=self.app.cipher)
        handler(ClaimedJob(0, POLL_JOB, {"channel_account_id": self.account_id}, 1, 5, "test"))
        self.process()

    def messages_filter(self) -> ColumnElement[bool]:
        """Every message of the workspace, not only those of the account."""
        return Message.workspace_id == self.workspace_id


def make_desk(app: App, client: TestClient, imap: FakeImap, smtp: FakeSmtp) -> EmailDesk:
    workspace_id, _, token = acme_agent(app)
    account_id = connect_email(app, workspace_id, imap=imap, smtp=smtp)
    return EmailDesk(app, client, workspace_id, account_id, token, imap, smtp)
