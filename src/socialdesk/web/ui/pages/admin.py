"""Admin pages: users and roles, teams, channel accounts, API tokens, canned responses.

Only admins reach these; the check is a route dependency, not a hidden link.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import delete, select

from socialdesk.domain.errors import InvalidInput, SocialdeskError
from socialdesk.domain.types import Role
from socialdesk.services.accounts import create_team, create_token, create_user
from socialdesk.services.channel_accounts import connect_account
from socialdesk.services.inbox import VIEWS, InboxQuery, view_counts
from socialdesk.services.sessions import SignedIn
from socialdesk.services.workspaces import list_accounts
from socialdesk.store.models import ApiToken, CannedResponse, Team, User, UserSession
from socialdesk.store.types import utcnow
from socialdesk.web.deps import get_app
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import require_role

router = APIRouter(prefix="/admin")
AdminDep = Annotated[SignedIn, require_role(Role.ADMIN)]


def _page(
    request: Request, agent: SignedIn, template: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    app = get_app(request)
    with app.db.read_session() as session:
        ws = agent.workspace_id
        context: dict[str, Any] = {
            "agent": agent,
            "users": list(
                session.scalars(select(User).where(User.workspace_id == ws).order_by(User.name))
            ),
            "teams": list(
                session.scalars(select(Team).where(Team.workspace_id == ws).order_by(Team.name))
            ),
            "accounts": list_accounts(session, ws),
            "tokens": list(
                session.scalars(
                    select(ApiToken).where(ApiToken.workspace_id == ws).order_by(ApiToken.id.desc())
                )
            ),
            "canned": list(
                session.scalars(
                    select(CannedResponse)
                    .where(CannedResponse.workspace_id == ws)
                    .order_by(CannedResponse.title)
                )
            ),
            "roles": [r.value for r in Role],
            "connectors": sorted(
                (channel.connection for channel in app.channels.values()),
                key=lambda spec: (spec.platform != "sandbox", spec.platform),
            ),
            "views": VIEWS,
            "counts": view_counts(session, ws, agent.user_id),
            "query": InboxQuery(view=""),
        }
        context.update(extra)
        return render(request, template, context, status_code=status_code)


def _act(
    request: Request, agent: SignedIn, template: str, change: Any, redirect: str
) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            result = change(session)
    except SocialdeskError as exc:
        return _page(request, agent, template, status_code=exc.status, error=exc.detail)
    if isinstance(result, dict):
        return _page(request, agent, template, **result)
    return RedirectResponse(redirect, status_code=303)


@router.get("", include_in_schema=False)
def admin_home(_agent: AdminDep) -> RedirectResponse:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/users", name="ui_admin_users", response_class=HTMLResponse)
def users_page(request: Request, agent: AdminDep) -> HTMLResponse:
    return _page(request, agent, "admin_users.html")


@router.post("/users", name="ui_admin_users_create", response_model=None)
def users_create(
    request: Request,
    agent: AdminDep,
    email: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=1000)],
) -> HTMLResponse | RedirectResponse:
    return _act(
        request,
        agent,
        "admin_users.html",
        lambda s: create_user(
            s, agent.workspace_id, email=email, name=name, role=role, password=password
        ),
        "/admin/users",
    )


@router.post("/users/{user_id}", name="ui_admin_user_update", response_model=None)
def user_update(
    request: Request,
    user_id: int,
    agent: AdminDep,
    role: Annotated[str, Form(max_length=20)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
    team: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse | RedirectResponse:
    def change(session: Any) -> None:
        user = session.get(User, user_id)
        if user is None or user.workspace_id != agent.workspace_id:
            raise InvalidInput(f"user {user_id} is not in this workspace")
        if role:
            if role not in {r.value for r in Role}:
                raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}")
            if user.id == agent.user_id and role != Role.ADMIN:
                raise InvalidInput("you cannot remove your own admin role")
            user.role = role
        if active in ("yes", "no"):
            if user.id == agent.user_id and active == "no":
                raise InvalidInput("you cannot deactivate yourself")
            user.is_active = active == "yes"
            if not user.is_active:
                session.execute(delete(UserSession).where(UserSession.user_id == user.id))
        if team:
            chosen = session.get(Team, int(team)) if team.isdigit() else None
            if chosen is None or chosen.workspace_id != agent.workspace_id:
                raise InvalidInput("unknown team")
            if chosen in user.teams:
                user.teams.remove(chosen)
            else:
                user.teams.append(chosen)

    return _act(request, agent, "admin_users.html", change, "/admin/users")


@router.post("/teams", name="ui_admin_teams_create", response_model=None)
def teams_create(
    request: Request,
    agent: AdminDep,
    name: Annotated[str, Form(max_length=200)],
) -> HTMLResponse | RedirectResponse:
    return _act(
        request,
        agent,
        "admin_users.html",
        lambda s: create_team(s, agent.workspace_id, name),
        "/admin/users",
    )


@router.get("/channels", name="ui_admin_channels", response_class=HTMLResponse)
def channels_page(request: Request, agent: AdminDep) -> HTMLResponse:
    return _page(request, agent, "admin_channels.html")


# Form fields of the connect form that are not connection keys of a platform.
_CONNECT_FORM_FIELDS = {"csrf_token", "platform", "name"}
MAX_CONNECT_VALUE = 10_000


@router.post("/channels", name="ui_admin_channels_create", response_model=None)
async def channels_create(request: Request, agent: AdminDep) -> HTMLResponse | RedirectResponse:
    """Connect an account of any platform; the form's fields are the connector's keys."""
    form = await request.form()
    app = get_app(request)
    platform = str(form.get("platform") or "sandbox")
    name = str(form.get("name") or "")
    values = {
        key: str(value).strip()
        for key, value in form.items()
        if key not in _CONNECT_FORM_FIELDS and isinstance(value, str) and value.strip()
    }

    def change(session: Any) -> None:
        channel = app.channels.get(platform)
        if channel is None:
            raise InvalidInput(f"socialdesk has no connector for {platform!r}")
        if len(name) > 200 or any(len(v) > MAX_CONNECT_VALUE for v in values.values()):
            raise InvalidInput("a value of the form is too long")
        connect_account(
            session,
            agent.workspace_id,
            channel.connection,
            name=name,
            values=values,
            cipher=app.cipher,
        )

    return _act(request, agent, "admin_channels.html", change, "/admin/channels")


@router.get("/tokens", name="ui_admin_tokens", response_class=HTMLResponse)
def tokens_page(request: Request, agent: AdminDep) -> HTMLResponse:
    return _page(request, agent, "admin_tokens.html")


@router.post("/tokens", name="ui_admin_tokens_create", response_model=None)
def tokens_create(
    request: Request,
    agent: AdminDep,
    name: Annotated[str, Form(max_length=200)],
) -> HTMLResponse | RedirectResponse:
    def change(session: Any) -> dict[str, Any]:
        issued = create_token(session, agent.workspace_id, name=name)
        return {"new_secret": issued.secret}

    return _act(request, agent, "admin_tokens.html", change, "/admin/tokens")


@router.post("/tokens/{token_id}/revoke", name="ui_admin_tokens_revoke", response_model=None)
def tokens_revoke(
    request: Request, token_id: int, agent: AdminDep
) -> HTMLResponse | RedirectResponse:
    def change(session: Any) -> None:
        token = session.get(ApiToken, token_id)
        if token is None or token.workspace_id != agent.workspace_id:
            raise InvalidInput(f"token {token_id} is not in this workspace")
        token.revoked_at = token.revoked_at or utcnow()

    return _act(request, agent, "admin_tokens.html", change, "/admin/tokens")


@router.post("/canned", name="ui_admin_canned_create", response_model=None)
def canned_create(
    request: Request,
    agent: AdminDep,
    title: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=5000)],
) -> HTMLResponse | RedirectResponse:
    def change(session: Any) -> None:
        if not title.strip() or not body.strip():
            raise InvalidInput("a canned response needs a title and a text")
        exists = session.scalar(
            select(CannedResponse.id).where(
                CannedResponse.workspace_id == agent.workspace_id,
                CannedResponse.title == title.strip(),
            )
        )
        if exists:
            raise InvalidInput(f"a canned response titled {title.strip()!r} already exists")
        session.add(
            CannedResponse(workspace_id=agent.workspace_id, title=title.strip(), body=body.strip())
        )

    return _act(request, agent, "admin_channels.html", change, "/admin/channels")
