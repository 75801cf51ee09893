"""Sign in, sign out, change password."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from socialdesk.domain.errors import SocialdeskError
from socialdesk.services.sessions import SESSION_LIFETIME, change_password, sign_in, sign_out
from socialdesk.web.deps import get_app
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import COOKIE, AgentDep

router = APIRouter()
LOGIN_CSRF_COOKIE = "sd_login_csrf"


def _safe_next(value: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request,
    *,
    next_url: str,
    error: str | None = None,
    email: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"agent": None, "login_csrf": token, "next_url": next_url, "error": error, "email": email},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
    )
    return response


@router.get("/login", name="ui_login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", name="ui_login_submit", response_model=None)
def login_submit(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    workspace: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_url = _safe_next(next)
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=403,
            error="Your sign-in form expired; please try again.",
        )
    db = get_app(request).db
    ip = request.client.host if request.client else None
    try:
        with db.session() as session:
            signed = sign_in(
                session,
                email=email,
                password=password,
                workspace_slug=workspace.strip() or None,
                ip=ip,
                user_agent=request.headers.get("user-agent"),
            )
    except SocialdeskError as exc:
        return _login_page(
            request, next_url=next_url, email=email, error=exc.detail, status_code=exc.status
        )
    if signed is None:
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=401,
            error="The email or the password is wrong.",
        )
    response = RedirectResponse(next_url, status_code=303)
    assert signed.secret is not None
    response.set_cookie(
        COOKIE,
        signed.secret,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", name="ui_logout")
def logout(request: Request, agent: AgentDep) -> RedirectResponse:
    with get_app(request).db.session() as session:
        sign_out(session, agent.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/account/password", name="ui_password", response_class=HTMLResponse)
def password_form(request: Request, agent: AgentDep) -> HTMLResponse:
    return render(request, "password.html", {"agent": agent, "error": None, "done": False})


@router.post("/account/password", name="ui_password_submit", response_class=HTMLResponse)
def password_submit(
    request: Request,
    agent: AgentDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    error = None
    if new != confirm:
        error = "The two new passwords differ."
    else:
        try:
            with get_app(request).db.session() as session:
                change_password(
                    session,
                    agent.user_id,
                    current=current,
                    new=new,
                    keep_session_id=agent.session_id,
                )
        except SocialdeskError as exc:
            error = exc.detail
    return render(
        request,
        "password.html",
        {"agent": agent, "error": error, "done": not error},
        status_code=422 if error else 200,
    )
