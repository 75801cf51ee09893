"""REST API v1 (OpenAPI at /docs): every route needs a bearer token and sees one workspace."""

from fastapi import APIRouter

from socialdesk.web.api import channel_accounts, contacts, conversations, sandbox
from socialdesk.web.api.common import PROBLEM_RESPONSES

router = APIRouter(responses=PROBLEM_RESPONSES)
router.include_router(conversations.router)
router.include_router(contacts.router)
router.include_router(channel_accounts.router)
router.include_router(sandbox.router)

__all__ = ["router"]
