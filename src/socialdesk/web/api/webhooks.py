"""Outgoing webhook subscriptions. The secret that signs deliveries is shown once, when the
subscription is created (or given); only admins and supervisors manage them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from socialdesk.services import webhooks_out as svc
from socialdesk.store.models import WebhookSubscription
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.sla import require_manager
from socialdesk.web.deps import CallerDep, ReadSessionDep, get_app

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_TYPES = ", ".join(svc.EVENT_TYPES)


class WebhookIn(RequestModel):
    url: str = Field(
        min_length=1, max_length=2000, description="http(s) address that receives POSTs"
    )
    event_types: list[str] = Field(
        min_length=1, max_length=20, description=f"Events to deliver: {_TYPES}"
    )
    description: str = Field(default="", max_length=200, description="A note for admins")
    is_active: bool = Field(default=True, description="Inactive subscriptions receive nothing")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signing secret (HMAC-SHA256 of the body in X-Socialdesk-Signature); "
        "omitted on create: one is generated; omitted on replace: the old one stays",
    )

    def spec(self) -> svc.WebhookSpec:
        return svc.WebhookSpec(
            url=self.url,
            event_types=self.event_types,
            description=self.description,
            is_active=self.is_active,
            secret=self.secret,
        )


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> WebhookOut:
        return cls(
            id=row.id,
            url=row.url,
            event_types=list(row.event_types or []),
            description=row.description,
            is_active=row.is_active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown only now: verify X-Socialdesk-Signature with it")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class TestDelivery(BaseModel):
    delivery_id: str = Field(description="Sent in the X-Socialdesk-Delivery header")


@router.get("", summary="List outgoing webhooks")
def list_webhooks(caller: CallerDep, session: ReadSessionDep) -> WebhookList:
    rows = svc.list_subscriptions(session, caller.workspace_id)
    return WebhookList(items=[WebhookOut.of(r) for r in rows])


@router.post("", status_code=201, summary="Subscribe a URL to events")
def create_webhook(
    body: WebhookIn, caller: CallerDep, session: TxSessionDep, request: Request
) -> WebhookCreated:
    require_manager(caller)
    app = get_app(request)
    row, secret = svc.create_subscription(
        session,
        caller.workspace_id,
        body.spec(),
        app.cipher,
        allow_private=app.settings.webhook_private_targets,
    )
    return WebhookCreated(**WebhookOut.of(row).model_dump(), secret=secret)


@router.get("/{webhook_id}", summary="One outgoing webhook")
def get_webhook(webhook_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> WebhookOut:
    return WebhookOut.of(svc.get_subscription(session, caller.workspace_id, webhook_id))


@router.put("/{webhook_id}", summary="Replace an outgoing webhook")
def replace_webhook(
    webhook_id: IdPath,
    body: WebhookIn,
    caller: CallerDep,
    session: TxSessionDep,
    request: Request,
) -> WebhookOut:
    require_manager(caller)
    app = get_app(request)
    row = svc.update_subscription(
        session,
        caller.workspace_id,
        webhook_id,
        body.spec(),
        app.cipher,
        allow_private=app.settings.webhook_private_targets,
    )
    return WebhookOut.of(row)


@router.delete("/{webhook_id}", status_code=204, summary="Delete an outgoing webhook")
def delete_webhook(webhook_id: IdPath, caller: CallerDep, session: TxSessionDep) -> Response:
    require_manager(caller)
    svc.delete_subscription(session, caller.workspace_id, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/test", status_code=202, summary="Send a webhook.test delivery")
def test_webhook(webhook_id: IdPath, caller: CallerDep, session: TxSessionDep) -> TestDelivery:
    require_manager(caller)
    return TestDelivery(delivery_id=svc.send_test_event(session, caller.workspace_id, webhook_id))
