"""Platform webhooks, served at /hooks/<platform>/<channel account id>."""

from fastapi import APIRouter

from socialdesk.web.hooks import meta, sandbox, sms, telegram, twitter, webchat, whatsapp

router = APIRouter()
router.include_router(sandbox.router)
router.include_router(twitter.router)
router.include_router(meta.router)
router.include_router(telegram.router)
router.include_router(sms.router)
router.include_router(whatsapp.router)
router.include_router(webchat.router)

__all__ = ["router"]
