"""The embeddable web chat widget: ``<script src="https://desk.example/widget/<site id>.js"
async></script>`` on any page of a site's allowed origins.

The script is ``widget.js`` (plain JavaScript written here, no build step, nothing from a
CDN) with the site's settings put in front of it. It is mounted as a small application of its
own at /widget: it is not a page of the agent workspace.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialdesk.bootstrap import App
from socialdesk.channels.webchat import (
    DEFAULT_TITLE,
    MAX_TEXT_CHARS,
    PLATFORM,
    site_colour,
)
from socialdesk.pipeline.intake import account_info
from socialdesk.store.models import ChannelAccount

__all__ = ["install_widget", "widget_script"]

SCRIPT = Path(__file__).parent / "widget.js"
JS = "text/javascript; charset=utf-8"


@lru_cache(maxsize=1)
def _source() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def _js_literal(value: object) -> str:
    # JSON is a JavaScript literal; escaping "<" keeps "</script>" out of inline copies.
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def widget_script(app: App, account_id: int, base_url: str) -> str | None:
    """The script for one site, or None when there is no such web chat site."""
    with app.db.read_session() as session:
        account = session.get(ChannelAccount, account_id)
        if account is None or account.platform != PLATFORM:
            return None
        info = account_info(account)
    settings = info.settings
    config = {
        "site": info.id,
        "base": str(settings.get("public_url") or base_url).rstrip("/"),
        "title": str(settings.get("title") or DEFAULT_TITLE),
        "greeting": str(settings.get("greeting") or ""),
        "colour": site_colour(info),
        "followupEmail": settings.get("followup_email") or None,
        "maxChars": MAX_TEXT_CHARS,
    }
    return (
        "/* socialdesk web chat widget */\n(function (CONFIG) {\n"
        + _source()
        + f"\n}})({_js_literal(config)});\n"
    )


def install_widget(api: FastAPI) -> None:
    app: App = api.state.socialdesk

    async def script(request: Request) -> Response:
        account_id = int(request.path_params["account_id"])
        base = str(request.base_url).rstrip("/")
        from starlette.concurrency import run_in_threadpool

        body = await run_in_threadpool(widget_script, app, account_id, base)
        if body is None:
            return Response(
                f"/* socialdesk: no web chat site {account_id} */\n",
                status_code=404,
                media_type=JS,
            )
        return Response(
            body,
            media_type=JS,
            headers={
                "Cache-Control": "public, max-age=300",
                "X-Content-Type-Options": "nosniff",
                "Access-Control-Allow-Origin": "*",
            },
        )

    api.mount(
        "/widget",
        Starlette(routes=[Route("/{account_id:int}.js", script, methods=["GET"])]),
        name="widget",
    )
