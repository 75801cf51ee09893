"""RFC 9457 problem details: every error the API answers is ``application/problem+json``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from socialdesk.domain.errors import SocialdeskError

__all__ = ["install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _wants_html(request: Request) -> bool:
    """Pages of the agent workspace get an HTML error; the API and webhooks problem+json."""
    path = request.url.path
    if path.startswith(("/api/", "/hooks/")) or request.headers.get("HX-Request"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(SocialdeskError)
    async def _domain(request: Request, exc: SocialdeskError) -> Response:
        if _wants_html(request):
            from socialdesk.web.ui.render import render

            return render(
                request,
                "error.html",
                {"agent": None, "title": exc.title, "detail": exc.detail},
                status_code=exc.status,
            )
        return problem_response(exc.status, exc.detail, title=exc.title)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            if e.get("type") == "json_invalid":
                position = e.get("loc", ("body", 0))[-1]
                reason = (e.get("ctx") or {}).get("error", "invalid JSON")
                errors.append(
                    {
                        "field": "body",
                        "message": f"not valid JSON ({reason} at character {position})",
                    }
                )
            else:
                errors.append(
                    {"field": _location(e.get("loc", ())), "message": e.get("msg", "invalid")}
                )
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        detail = f"{first['field']}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem_response(422, detail, title="Invalid input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Two requests raced to create the same thing (a tag, a handle): the loser's
        # transaction was rolled back whole; asking again will see the winner's row.
        return problem_response(
            409,
            "a concurrent change created the same record; retry the request",
            title="Conflict",
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return problem_response(
            500, "socialdesk failed unexpectedly; the error was logged with its traceback"
        )
