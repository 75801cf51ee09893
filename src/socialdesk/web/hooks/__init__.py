"""Platform webhooks, served at /hooks/<platform>/<channel account id>."""

from fastapi import APIRouter

from socialdesk.web.hooks import sandbox

router = APIRouter()
router.include_router(sandbox.router)

__all__ = ["router"]
