"""The agent workspace: server-rendered pages (Jinja2 + htmx), live by server-sent events."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from socialdesk.pipeline.notify import IngestResult
from socialdesk.store.changes import subscribe_conversation_changes
from socialdesk.web.live import LiveHub
from socialdesk.web.ui.pages import actions, admin, auth, inbox
from socialdesk.web.ui.pages import agents as agent_pages
from socialdesk.web.ui.pages import rules as rule_pages
from socialdesk.web.ui.pages import sla as sla_pages
from socialdesk.web.ui.presence import PresenceBoard
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import CsrfRejected, NeedsSignIn, RoleForbidden

__all__ = ["install_ui"]

STATIC = Path(__file__).parent / "static"


def _error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"agent": None, "title": title, "detail": detail}, status_code=status
    )


def install_ui(api: FastAPI) -> None:
    """Mount pages, static files, the live hub and the error pages people see."""
    hub = LiveHub()
    api.state.live = hub
    api.state.presence = PresenceBoard()
    app = api.state.socialdesk

    def on_ingest(result: IngestResult) -> None:
        for conversation_id in result.new_conversation_ids + result.updated_conversation_ids:
            hub.publish(
                result.workspace_id,
                f"conversation-{conversation_id}",
                conversation_id=conversation_id,
            )
        if result.message_ids:
            hub.publish(result.workspace_id, "inbox", new=len(result.new_conversation_ids))

    app.notifier.subscribe(on_ingest)

    def on_change(touched: dict[int, set[int]]) -> None:
        for workspace_id, conversation_ids in touched.items():
            for conversation_id in conversation_ids:
                hub.publish(
                    workspace_id, f"conversation-{conversation_id}", conversation_id=conversation_id
                )
            hub.publish(workspace_id, "inbox", changed=len(conversation_ids))

    api.state.cleanups.append(subscribe_conversation_changes(on_change))
    router = APIRouter(include_in_schema=False)
    for module in (auth, inbox, actions, admin, sla_pages, agent_pages, rule_pages):
        router.include_router(module.router)
    api.include_router(router)
    api.mount("/static", StaticFiles(directory=STATIC), name="ui_static")

    @api.exception_handler(NeedsSignIn)
    async def _sign_in(request: Request, exc: NeedsSignIn) -> Response:
        target = f"/login?next={exc.next_url}"
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @api.exception_handler(RoleForbidden)
    async def _forbidden(request: Request, exc: RoleForbidden) -> HTMLResponse:
        return _error_page(
            request,
            403,
            "Not allowed",
            f"This page is for the {exc.needed} role. Ask an admin if you need it.",
        )

    @api.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _exc: CsrfRejected) -> HTMLResponse:
        return _error_page(
            request,
            403,
            "Security check failed",
            "The page's security token is missing or stale. Reload the page and try again.",
        )
