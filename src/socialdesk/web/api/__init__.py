"""REST API v1 (OpenAPI at /docs): every route needs a bearer token and sees one workspace."""

from fastapi import APIRouter

from socialdesk.web.api import (
    agents,
    autoreply,
    channel_accounts,
    contacts,
    continuation,
    conversations,
    rules,
    sandbox,
    sla,
    teams,
    webhooks,
)
from socialdesk.web.api.common import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)
router.include_router(conversations.router)
router.include_router(continuation.router)
router.include_router(contacts.router)
router.include_router(channel_accounts.router)
router.include_router(sandbox.router)
router.include_router(agents.router)
router.include_router(teams.router)
router.include_router(sla.router)
router.include_router(webhooks.router)
router.include_router(rules.router)
router.include_router(autoreply.router)

__all__ = ["router"]
