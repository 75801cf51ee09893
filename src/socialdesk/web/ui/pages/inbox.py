"""The inbox (views, filters, sorts) and the conversation view beside it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import InvalidInput, NotFound
from socialdesk.services.inbox import SORTS, VIEWS, InboxQuery, inbox_page, view_counts
from socialdesk.services.sessions import SignedIn
from socialdesk.services.workspaces import list_accounts
from socialdesk.store.models import Tag, User
from socialdesk.web.deps import get_app
from socialdesk.web.ui.pages.actions import composer_context
from socialdesk.web.ui.render import is_htmx, render
from socialdesk.web.ui.security import AgentDep
from socialdesk.web.ui.timeline import conversation_context

router = APIRouter()


def _inbox_query(
    view: str,
    sort: str,
    account: str | None,
    platform: str | None,
    tag: str | None,
    status: str | None,
    visibility: str | None,
    q: str | None,
    page: int,
) -> InboxQuery:
    account_id = None
    if account:
        if not account.isdigit():
            raise InvalidInput("account must be a channel account id")
        account_id = int(account)
    return InboxQuery(
        view=view,
        sort=sort,
        account_id=account_id,
        platform=platform or None,
        tag=tag or None,
        status=status or None,
        visibility=visibility or None,
        q=q or None,
        page=page,
    )


def shell_context(session: Session, agent: SignedIn, query: InboxQuery) -> dict[str, Any]:
    """Everything the navigation and the list need (a fixed number of queries)."""
    counts = view_counts(session, agent.workspace_id, agent.user_id)
    rows, more, latest = inbox_page(session, agent.workspace_id, agent.user_id, query)
    accounts = list_accounts(session, agent.workspace_id)
    tags = list(
        session.scalars(
            select(Tag.name).where(Tag.workspace_id == agent.workspace_id).order_by(Tag.name)
        )
    )
    users = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.name).where(User.workspace_id == agent.workspace_id)
        )
    }
    return {
        "users": users,
        "agent": agent,
        "views": VIEWS,
        "counts": counts,
        "sorts": SORTS,
        "query": query,
        "rows": rows,
        "more": more,
        "latest": latest,
        "accounts": accounts,
        "tags": tags,
        "platforms": sorted({a.platform for a in accounts}),
    }


ViewParam = Annotated[str, Query(max_length=20)]


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox", name="ui_inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    agent: AgentDep,
    view: ViewParam = "all",
    sort: ViewParam = "recent",
    account: Annotated[str | None, Query(max_length=20)] = None,
    platform: Annotated[str | None, Query(max_length=30)] = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    visibility: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    query = _inbox_query(view, sort, account, platform, tag, status, visibility, q, page)
    with get_app(request).db.read_session() as session:
        context = shell_context(session, agent, query)
        context["conversation"] = None
        return render(request, "inbox.html", context, fragment="list")


@router.get("/conversations/{conversation_id}", name="ui_conversation", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    view: ViewParam = "all",
    sort: ViewParam = "recent",
) -> HTMLResponse:
    query = InboxQuery(view=view, sort=sort)
    app = get_app(request)
    with app.db.read_session() as session:
        detail = conversation_context(session, agent, conversation_id)
        if detail is None:
            raise NotFound(f"conversation {conversation_id} does not exist in this workspace")
        detail.update(composer_context(session, agent, detail))
        if is_htmx(request):
            return render(
                request,
                "inbox.html",
                {"agent": agent, "query": query, **detail},
                fragment="conversation",
            )
        context = shell_context(session, agent, query)
        context.update(detail)
        return render(request, "inbox.html", context)


@router.get("/views", name="ui_views", response_class=HTMLResponse)
def views(request: Request, agent: AgentDep, view: ViewParam = "all") -> HTMLResponse:
    """The navigation's view links with fresh counts (refreshed on live updates)."""
    app = get_app(request)
    with app.db.read_session() as session:
        counts = view_counts(session, agent.workspace_id, agent.user_id)
    return render(
        request,
        "_views.html",
        {"agent": agent, "views": VIEWS, "counts": counts, "query": InboxQuery(view=view)},
    )


@router.get("/live", name="ui_live")
async def live(request: Request, agent: AgentDep) -> StreamingResponse:
    """Server-sent events: the page refreshes what changed (htmx sse extension)."""
    hub = request.app.state.live
    key, queue = hub.subscribe(agent.workspace_id)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "event: hello\ndata: live\n\n"
            while True:
                try:
                    update = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    if await request.is_disconnected():
                        return
                    continue
                yield f"event: {update.kind}\ndata: {update.as_json()}\n\n"
                if update.kind != "inbox":
                    yield f"event: inbox\ndata: {update.as_json()}\n\n"
        finally:
            hub.unsubscribe(key)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
