"""Connecting channel accounts (CLI and API) with credentials encrypted at rest
(store/crypto.py, services/channel_accounts.py)."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result
from x_support import ACCESS_TOKEN, BRAND_ID, CONSUMER_SECRET

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo
from socialdesk.cli import cli
from socialdesk.config import Settings, get_settings
from socialdesk.pipeline.intake import account_info
from socialdesk.services.accounts import create_token
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.crypto import KEY_FILE, CredentialCipher, CredentialsUnreadable
from socialdesk.store.models import ChannelAccount

X_KEYS = [
    "--set",
    "handle=@acmecare",
    "--set",
    f"external_id={BRAND_ID}",
    "--set",
    f"consumer_secret={CONSUMER_SECRET}",
    "--set",
    f"access_token={ACCESS_TOKEN}",
]


class Shell:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def socialdesk(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shell]:
    """The CLI on the database under test, sharing the app's var dir (and so its key)."""
    monkeypatch.setenv("SOCIALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("SOCIALDESK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SOCIALDESK_SECRET_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield Shell()
    get_settings.cache_clear()


def stored_credentials(app: App, account_id: int) -> str | None:
    """The column exactly as the database holds it."""
    with app.db.read_session() as session:
        value: str | None = session.execute(
            text("SELECT credentials FROM channel_accounts WHERE id = :id"), {"id": account_id}
        ).scalar_one()
        return value


def load_account(app: App, account_id: int) -> ChannelAccount:
    with app.db.read_session() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        return account


# -- the command line ----------------------------------------------------------------------------
def test_channels_add_prints_the_id_and_encrypts_the_secrets(app: App, socialdesk: Shell) -> None:
    result = socialdesk("channels", "add", "twitter", "--name", "Acme on X", *X_KEYS)

    assert result.exit_code == 0, result.output
    account_id = int(result.stdout.strip())
    raw = stored_credentials(app, account_id)
    assert raw is not None
    assert CONSUMER_SECRET not in raw and ACCESS_TOKEN not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert app.cipher.decrypt(raw) == {
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
    }
    account = load_account(app, account_id)
    assert (account.platform, account.handle, account.external_id) == (
        "twitter",
        "acmecare",
        BRAND_ID,
    )
    assert account.settings == {"api_base_url": "https://api.x.com"}


def test_channels_add_names_the_missing_keys(app: App, socialdesk: Shell) -> None:
    result = socialdesk(
        "channels", "add", "twitter", "--name", "Acme on X", "--set", "handle=acmecare"
    )

    assert result.exit_code == 2
    assert "twitter needs external_id, consumer_secret, access_token" in result.stderr
    assert "--set consumer_secret=..." in result.stderr


def test_channels_add_refuses_an_unknown_platform(app: App, socialdesk: Shell) -> None:
    result = socialdesk("channels", "add", "myspace", "--name", "Acme")

    assert result.exit_code == 2
    assert "unknown platform 'myspace'" in result.stderr
    for platform in app.channels:  # the message lists every platform that can be added
        assert platform in result.stderr


def test_channels_add_refuses_a_misspelt_key(app: App, socialdesk: Shell) -> None:
    result = socialdesk(
        "channels", "add", "twitter", "--name", "Acme", *X_KEYS, "--set", "acces_token=abc"
    )

    assert result.exit_code == 2
    assert "twitter does not use acces_token" in result.stderr


def test_channels_add_refuses_a_set_without_equals(app: App, socialdesk: Shell) -> None:
    result = socialdesk("channels", "add", "twitter", "--name", "Acme", "--set", "handle")

    assert result.exit_code == 2
    assert "'handle' is not KEY=VALUE" in result.stderr


def test_channels_add_sandbox_needs_only_a_handle(app: App, socialdesk: Shell) -> None:
    result = socialdesk("channels", "add", "sandbox", "--name", "Training", "--set", "handle=t1")

    assert result.exit_code == 0, result.output
    account = load_account(app, int(result.stdout))
    assert (account.platform, account.handle, account.credentials) == ("sandbox", "t1", None)


def test_channels_list_never_shows_credentials(app: App, socialdesk: Shell) -> None:
    socialdesk("channels", "add", "twitter", "--name", "Acme on X", *X_KEYS)

    result = socialdesk("channels", "list")

    assert result.exit_code == 0, result.output
    assert "@acmecare" in result.stdout and "active" in result.stdout
    assert CONSUMER_SECRET not in result.output and ACCESS_TOKEN not in result.output


# -- the API -------------------------------------------------------------------------------------
@pytest.fixture
def api(app: App) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from socialdesk.web.app import create_app

    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "acme").id
        token = create_token(session, workspace_id, name="tests").secret
    with TestClient(create_app(app, run_workers=False)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def x_account_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "platform": "twitter",
        "name": "Acme on X",
        "handle": "@acmecare",
        "external_id": BRAND_ID,
        "credentials": {"consumer_secret": CONSUMER_SECRET, "access_token": ACCESS_TOKEN},
    }
    body.update(changes)
    return body


def test_api_connects_an_x_account_and_never_returns_its_secrets(
    app: App, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = api

    response = client.post("/api/v1/channel-accounts", json=x_account_body(), headers=headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["platform"], created["handle"], created["external_id"]) == (
        "twitter",
        "acmecare",
        BRAND_ID,
    )
    assert "credentials" not in created and "settings" not in created
    listed = client.get("/api/v1/channel-accounts", headers=headers)
    one = client.get(f"/api/v1/channel-accounts/{created['id']}", headers=headers)
    for answer in (response, listed, one):
        assert CONSUMER_SECRET not in answer.text and ACCESS_TOKEN not in answer.text
    raw = stored_credentials(app, created["id"])
    assert raw is not None and CONSUMER_SECRET not in raw and ACCESS_TOKEN not in raw
    assert app.cipher.decrypt(raw)["access_token"] == ACCESS_TOKEN


def test_api_names_the_missing_credentials(
    app: App, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = api

    response = client.post(
        "/api/v1/channel-accounts",
        json=x_account_body(external_id=None, credentials={"consumer_secret": "abc"}),
        headers=headers,
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "twitter needs external_id, access_token: missing"


def test_api_refuses_a_second_account_with_the_same_handle(
    app: App, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = api
    client.post("/api/v1/channel-accounts", json=x_account_body(), headers=headers)

    again = client.post("/api/v1/channel-accounts", json=x_account_body(), headers=headers)

    assert again.status_code == 409
    assert "@acmecare already exists" in again.json()["detail"]


def test_sandbox_accounts_take_no_credentials(
    app: App, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = api

    response = client.post(
        "/api/v1/channel-accounts",
        json={"platform": "sandbox", "name": "T", "handle": "t", "credentials": {"a": "b"}},
        headers=headers,
    )

    assert response.status_code == 422
    assert "take no credentials" in response.json()["detail"]


def test_account_info_carries_the_decrypted_credentials(
    app: App, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = api
    created = client.post("/api/v1/channel-accounts", json=x_account_body(), headers=headers)
    account = load_account(app, created.json()["id"])

    info = account_info(account, app.cipher)

    assert info.credentials == {"consumer_secret": CONSUMER_SECRET, "access_token": ACCESS_TOKEN}
    assert info.settings == {"api_base_url": "https://api.x.com"}
    assert account_info(account).credentials == {}  # without the cipher: nothing


# -- the key -------------------------------------------------------------------------------------
def test_without_a_configured_key_one_is_generated_once_with_mode_0600(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=None)
    first = CredentialCipher.from_settings(settings)

    with caplog.at_level(logging.WARNING, logger="socialdesk.store.crypto"):
        token = first.encrypt({"access_token": "abc"})

    key_file = tmp_path / "var" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert any(str(key_file) in r.getMessage() for r in caplog.records)
    caplog.clear()
    second = CredentialCipher.from_settings(settings)  # another process, later
    with caplog.at_level(logging.WARNING, logger="socialdesk.store.crypto"):
        assert second.decrypt(token) == {"access_token": "abc"}
    assert caplog.records == []


def test_the_key_file_is_only_made_when_credentials_are_used(tmp_path: Path) -> None:
    CredentialCipher.from_settings(Settings(var_dir=tmp_path / "var", secret_key=None))

    assert not (tmp_path / "var" / KEY_FILE).exists()


def test_a_configured_key_is_used_and_no_file_is_written(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    cipher = CredentialCipher.from_settings(Settings(var_dir=tmp_path / "var", secret_key=key))

    token = cipher.encrypt({"consumer_secret": "s"})

    assert Fernet(key.encode()).decrypt(token.encode()) == b'{"consumer_secret":"s"}'
    assert not (tmp_path / "var" / KEY_FILE).exists()


def test_keys_rotate_new_first_old_still_read(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved = CredentialCipher([old]).encrypt({"access_token": "abc"})

    rotated = CredentialCipher.from_settings(Settings(var_dir=tmp_path, secret_key=f"{new},{old}"))

    assert rotated.decrypt(saved) == {"access_token": "abc"}
    assert CredentialCipher([new]).decrypt(rotated.encrypt({"a": "b"})) == {"a": "b"}


def test_credentials_saved_with_another_key_are_a_clear_error() -> None:
    saved = CredentialCipher([Fernet.generate_key().decode()]).encrypt({"a": "b"})

    with pytest.raises(CredentialsUnreadable, match="SOCIALDESK_SECRET_KEY"):
        CredentialCipher([Fernet.generate_key().decode()]).decrypt(saved)


def test_a_malformed_key_is_a_clear_error() -> None:
    with pytest.raises(CredentialsUnreadable, match="not a Fernet key"):
        CredentialCipher(["not-a-key"]).encrypt({"a": "b"})


def test_account_info_never_shows_credentials_in_its_repr() -> None:
    info = AccountInfo(
        id=1,
        workspace_id=1,
        platform="twitter",
        handle="acmecare",
        external_id=BRAND_ID,
        credentials={"access_token": ACCESS_TOKEN},
    )

    assert ACCESS_TOKEN not in repr(info)
