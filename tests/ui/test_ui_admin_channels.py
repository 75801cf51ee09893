"""Connecting channel accounts of every platform from the admin page.

The form is generated from each connector's ConnectionSpec: what an admin types goes to the
account's columns, settings or encrypted credentials exactly as with ``socialdesk channels add``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from ui_support import Caller, World

from socialdesk.store.models import ChannelAccount


def _accounts(world: World, platform: str) -> list[ChannelAccount]:
    with world.app.db.read_session() as session:
        return list(
            session.scalars(select(ChannelAccount).where(ChannelAccount.platform == platform))
        )


def _connect(admin: Caller, form: dict[str, str]) -> int:
    response = admin.client.post(
        "/admin/channels", data={"csrf_token": admin.csrf or "", **form}, follow_redirects=False
    )
    return response.status_code


def test_the_page_offers_a_form_for_every_connector(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    admin = signed_in("admin")
    page = admin.client.get("/admin/channels").text
    for platform, channel in world.app.channels.items():
        assert f'name="platform" value="{platform}"' in page
        for key in channel.connection.keys:
            assert f'id="ch-{platform}-{key.name}"' in page
    # Secrets are typed into password fields, never echoed back.
    assert 'id="ch-twitter-consumer_secret" name="consumer_secret" type="password"' in page


def test_an_x_account_connected_in_the_form_keeps_its_secrets_encrypted(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    admin = signed_in("admin")
    status = _connect(
        admin,
        {
            "platform": "twitter",
            "name": "Acme on X",
            "handle": "@acmecare",
            "external_id": "998877",
            "consumer_secret": "app-secret-123",
            "access_token": "user-token-456",
        },
    )
    assert status == 303
    (account,) = _accounts(world, "twitter")
    assert (account.handle, account.external_id, account.name) == (
        "acmecare",
        "998877",
        "Acme on X",
    )
    assert "app-secret-123" not in (account.credentials or "")
    assert world.app.cipher.decrypt(account.credentials or "") == {
        "consumer_secret": "app-secret-123",
        "access_token": "user-token-456",
    }
    assert "consumer_secret" not in account.settings and "access_token" not in account.settings
    assert "app-secret-123" not in admin.client.get("/admin/channels").text


def test_a_missing_key_is_refused_with_its_name_and_nothing_is_stored(
    world: World, signed_in: Callable[..., Caller]
) -> None:
    admin = signed_in("admin")
    response = admin.client.post(
        "/admin/channels",
        data={
            "csrf_token": admin.csrf or "",
            "platform": "twitter",
            "name": "Acme on X",
            "handle": "acmecare",
            "external_id": "998877",
        },
    )
    assert response.status_code == 422
    assert "consumer_secret" in response.text and "access_token" in response.text
    assert _accounts(world, "twitter") == []


def test_an_unknown_platform_is_refused(world: World, signed_in: Callable[..., Caller]) -> None:
    admin = signed_in("admin")
    response = admin.client.post(
        "/admin/channels",
        data={"csrf_token": admin.csrf or "", "platform": "myspace", "name": "Old", "handle": "x"},
    )
    assert response.status_code == 422
    assert "no connector for" in response.text and "myspace" in response.text
