"""Platform webhooks, served at /hooks/<platform>/<channel account id>."""

from fastapi import APIRouter

from socialdesk.web.hooks import sandbox, twitter

router = APIRouter()
router.include_router(sandbox.router)
router.include_router(twitter.router)

__all__ = ["router"]
