"""`socialdesk channels register-webhook` and `socialdesk email receive`.

Telegram's webhook is registered against a fake Bot API on 127.0.0.1 (real HTTP, the
documented setWebhook call); other platforms get the lines to paste in their console. The mail
receiver runs as the installed script in a process of its own, receives a message by SMTP and
stops on Ctrl-C (SIGINT). Both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.telegram_fake_server import FakeTelegram
from socialdesk.bootstrap import App
from socialdesk.store.models import RawEvent
from test_cli import Shell, shell

BOT_TOKEN = "7012345678:AAH-test-token"
WEBHOOK_SECRET = "s3cret_Token-42"


@pytest.fixture
def socialdesk(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shell]:
    yield from shell(database_url, tmp_path, monkeypatch)


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(token=BOT_TOKEN).start()
    yield fake
    fake.stop()


def _add(socialdesk: Shell, platform: str, *settings: str) -> str:
    args = ["channels", "add", platform, "--name", f"Acme {platform}"]
    for setting in settings:
        args += ["--set", setting]
    return socialdesk.ok(*args).strip()


def _add_bot(socialdesk: Shell, telegram: FakeTelegram) -> str:
    return _add(
        socialdesk,
        "telegram",
        "handle=acme_care_bot",
        f"bot_token={BOT_TOKEN}",
        f"webhook_secret={WEBHOOK_SECRET}",
        f"api_base_url={telegram.url}",
    )


def test_register_webhook_sets_telegrams_webhook_with_the_secret(
    socialdesk: Shell, telegram: FakeTelegram
) -> None:
    account_id = _add_bot(socialdesk, telegram)
    output = socialdesk.ok(
        "channels", "register-webhook", account_id, "--url", "https://desk.example.com/"
    )
    expected = f"https://desk.example.com/hooks/telegram/{account_id}"
    assert f"webhook set to {expected}" in output
    assert WEBHOOK_SECRET not in output  # secrets are never printed
    calls = telegram.calls("setWebhook")
    assert len(calls) == 1
    assert calls[0].token == BOT_TOKEN
    assert telegram.webhook is not None
    assert telegram.webhook["url"] == expected
    assert telegram.webhook["secret_token"] == WEBHOOK_SECRET


def test_register_webhook_reports_telegrams_refusal(
    socialdesk: Shell, telegram: FakeTelegram
) -> None:
    account_id = _add_bot(socialdesk, telegram)
    result = socialdesk("channels", "register-webhook", account_id, "--url", "http://desk.test")
    assert result.exit_code == 1, result.output
    assert "Telegram refused the webhook" in result.stderr
    assert "An HTTPS URL must be provided" in result.stderr
    assert telegram.webhook is None


@pytest.mark.parametrize(
    ("platform", "settings", "expected"),
    [
        (
            "facebook",
            (
                "handle=acmepage",
                "external_id=448242228374517",
                "app_secret=meta-app-secret",
                "verify_token=my-verify-token",
                "access_token=page-token",
            ),
            ["Callback URL: https://desk.example.com/hooks/facebook/{id}", "verify_token"],
        ),
        (
            "whatsapp",
            (
                "handle=15550783881",
                "external_id=106540352242922",
                "app_secret=meta-app-secret",
                "verify_token=my-verify-token",
                "access_token=system-token",
            ),
            ["Callback URL: https://desk.example.com/hooks/whatsapp/{id}", "messages"],
        ),
        (
            "sms",
            (
                "handle=+14155550100",
                "external_id=+14155550100",
                "account_sid=AC123",
                "auth_token=twilio-token",
            ),
            ["https://desk.example.com/hooks/sms/{id}", "/hooks/sms/{id}/status", "auth_token"],
        ),
        (
            "webchat",
            ("handle=acme-website", "allowed_origins=https://www.acme.test"),
            ['<script src="https://desk.example.com/widget/{id}.js" async></script>'],
        ),
    ],
)
def test_register_webhook_prints_what_to_paste_for_other_platforms(
    socialdesk: Shell, platform: str, settings: tuple[str, ...], expected: list[str]
) -> None:
    account_id = _add(socialdesk, platform, *settings)
    output = socialdesk.ok(
        "channels", "register-webhook", account_id, "--url", "https://desk.example.com"
    )
    for line in expected:
        assert line.format(id=account_id) in output, output
    for secret in ("meta-app-secret", "my-verify-token", "page-token", "twilio-token"):
        assert secret not in output


def test_register_webhook_refuses_a_bad_url_and_an_unknown_account(
    socialdesk: Shell, telegram: FakeTelegram
) -> None:
    account_id = _add_bot(socialdesk, telegram)
    bad = socialdesk("channels", "register-webhook", account_id, "--url", "desk.example.com")
    assert bad.exit_code == 2
    assert "is not an http(s) address" in bad.stderr
    unknown = socialdesk("channels", "register-webhook", "999", "--url", "https://d.example")
    assert unknown.exit_code == 2
    assert "channel account 999 does not exist" in unknown.stderr
    assert telegram.calls("setWebhook") == []


@pytest.mark.slow
def test_email_receive_stores_mail_for_the_account_until_ctrl_c(
    socialdesk: Shell, app: App, database_url: str, tmp_path: Path
) -> None:
    account_id = _add(
        socialdesk, "email", "handle=help@acme.test", "smtp_host=127.0.0.1", "smtp_port=2"
    )
    script = Path(sys.executable).with_name("socialdesk")
    env = {**os.environ, "SOCIALDESK_DATABASE_URL": database_url, "COLUMNS": "200"}
    env["SOCIALDESK_VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [str(script), "email", "receive", "--host", "127.0.0.1", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("receiving mail on smtp://127.0.0.1:"), first + (
            process.stderr.read() if process.poll() is not None and process.stderr else ""
        )
        port = int(first.split("smtp://127.0.0.1:", 1)[1].split()[0])
        mail = EmailMessage()
        mail["From"] = "Dana <dana@example.com>"
        mail["To"] = "help@acme.test"
        mail["Subject"] = "Router"
        mail["Message-ID"] = "<router-1@example.com>"
        mail.set_content("My router keeps blinking.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(mail)
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(mail, to_addrs=["nobody@acme.test"])
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "mail receiver stopped" in out
    with app.db.read_session() as session:
        stored = session.scalars(select(RawEvent)).all()
    assert [(e.source, e.channel_account_id) for e in stored] == [("email", int(account_id))]
