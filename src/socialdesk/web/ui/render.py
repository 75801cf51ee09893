"""Jinja2 rendering with one rule for htmx partials: a template names its fragment block,
and an htmx request (that is not a boosted page load) gets only that block."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

__all__ = ["is_htmx", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _ago(value: datetime | None, now: datetime | None = None) -> str:
    """A compact waiting time: 45s, 12m, 3h, 2d."""
    if value is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _thousands(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


templates.env.filters["ago"] = _ago
templates.env.filters["thousands"] = _thousands
templates.env.globals["now"] = lambda: datetime.now(UTC)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The whole page, or only ``fragment`` (a block of ``template``) for htmx requests."""
    context = {"request": request, **context}
    if fragment is not None and is_htmx(request):
        tpl = templates.env.get_template(template)
        block = tpl.blocks[fragment]
        html = "".join(block(tpl.new_context(context)))
        return HTMLResponse(html, status_code=status_code, headers=headers)
    return templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers
    )
