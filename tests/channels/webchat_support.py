"""What the web chat tests share: a workspace with a web chat site, an agent with an API
token, and a visitor speaking to the site's public hook as the widget does."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from desk_kit import acme_agent, connect
from fastapi.testclient import TestClient
from sqlalchemy import update

from socialdesk.bootstrap import App
from socialdesk.channels.webchat import CONNECTION
from socialdesk.store.models import User

ORIGIN = "https://www.acme.example"
OTHER_ORIGIN = "https://evil.example"


@dataclass
class WebchatDesk:
    app: App
    client: TestClient
    workspace_id: int
    account_id: int
    agent_id: int
    api_token: str

    # -- the agent's side
    def api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(
            method,
            f"/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.api_token}"},
        )

    def set_online(self, online: bool) -> None:
        with self.app.db.session() as session:
            session.execute(
                update(User)
                .where(User.id == self.agent_id)
                .values(availability="online" if online else "offline")
            )

    def process(self) -> None:
        self.app.run_jobs_until_idle()

    def conversations(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api("GET", "/conversations").json()["items"]
        return items

    # -- the visitor's side
    def hook(self, path: str = "") -> str:
        return f"/hooks/webchat/{self.account_id}{path}"

    def start_session(self, origin: str = ORIGIN) -> dict[str, Any]:
        response = self.client.post(self.hook("/sessions"), json={}, headers={"Origin": origin})
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        return session

    def say(
        self,
        token: str | None,
        text: str,
        *,
        message_id: str | None = None,
        origin: str | None = ORIGIN,
        **extra: Any,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if origin is not None:
            headers["Origin"] = origin
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"id": message_id or uuid.uuid4().hex, "text": text, **extra}
        return self.client.post(self.hook("/messages"), content=json.dumps(body), headers=headers)

    def transcript(self, token: str, after: int = 0) -> dict[str, Any]:
        response = self.client.get(
            self.hook(f"/messages?after={after}"),
            headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN},
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def receipts(self, token: str, **body: int) -> httpx.Response:
        return self.client.post(
            self.hook("/receipts"),
            json=body,
            headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN},
        )


def make_site(app: App, client: TestClient, **settings: str) -> WebchatDesk:
    """The acme workspace, agent Ana (offline until set online) and its web chat site."""
    values = {"handle": "acme-website", "allowed_origins": ORIGIN, "title": "Chat with Acme"}
    values.update(settings)
    workspace_id, agent_id, token = acme_agent(app, email="ana@acme.example")
    account_id = connect(app, workspace_id, CONNECTION, name="Acme website", values=values)
    return WebchatDesk(app, client, workspace_id, account_id, agent_id, token)
