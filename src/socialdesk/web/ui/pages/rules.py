"""Admin pages for routing rules and auto-replies (supervisors and admins).

The rules page lists the workspace's rules in evaluation order (up/down to reorder, an on/off
switch, a readable summary) and edits one rule with a structured editor: rows of field +
operator + value for the conditions, rows of action + value for the actions. Rows are named
by a short key (``c<key>_field``, ``a<key>_type``…) listed in ``cond``/``act`` inputs, so the
form's order is the rule's order; htmx fetches a fresh row when a field changes or a row is
added, and "Try it" asks for a dry-run fragment ("would have matched N in the last D days").
Everything goes through services/rules.py and services/autoreply.py, like the REST API; the
role check is a route dependency, so an agent gets 403 whatever the links show.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import ImmutableMultiDict

from socialdesk.domain.errors import InvalidInput, SocialdeskError
from socialdesk.domain.influence import INFLUENCE_LEVELS
from socialdesk.domain.platforms import render_canned
from socialdesk.domain.rules import (
    ACTION_TYPES,
    CONDITION_FIELDS,
    SENTIMENTS,
    RuleValidationError,
    validate_rule,
)
from socialdesk.domain.types import Priority, Role
from socialdesk.services import autoreply as auto_svc
from socialdesk.services import calendars as cal_svc
from socialdesk.services import rules as svc
from socialdesk.services import sla as sla_svc
from socialdesk.services.inbox import VIEWS, InboxQuery, view_counts
from socialdesk.services.sessions import SignedIn
from socialdesk.services.workspaces import list_accounts
from socialdesk.store.models import AutoReplySettings, CannedResponse, Rule, Team, User
from socialdesk.store.types import utcnow
from socialdesk.web.api.autoreply import TEXT_VARIABLES, check_settings, own_row
from socialdesk.web.deps import get_app
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import require_role

__all__ = ["describe_rule", "parse_rows", "router"]

router = APIRouter()
ManagerDep = Annotated[SignedIn, require_role(Role.SUPERVISOR)]
PAGE = "/admin/rules"
AUTO_PAGE = "/admin/autoreplies"
TRY_DAYS = (1, 7, 30, 90)

FIELD_LABELS = {
    "channel": "Channel",
    "account": "Account",
    "visibility": "Visibility",
    "language": "Language",
    "sentiment": "Sentiment",
    "sentiment_score": "Sentiment score",
    "influence": "Influence",
    "followers": "Followers",
    "verified": "Verified",
    "contact_tags": "Contact tags",
    "crm_tier": "CRM tier",
    "earlier_conversations": "Earlier conversations",
    "conversation": "Conversation",
    "business_hours": "Business hours",
    "pii": "Personal data",
    "text": "Text",
}
OP_LABELS = {
    "in": "is",
    "not_in": "is not",
    "is": "is",
    "at_least": "at least",
    "at_most": "at most",
    "gte": "≥",
    "gt": ">",
    "lte": "≤",
    "lt": "<",
    "eq": "=",
    "any": "any of",
    "all": "all of",
    "none": "none of",
    "matches": "matches",
    "not_matches": "does not match",
}
ACTION_LABELS = {
    "set_team": "Set team",
    "set_priority": "Set priority",
    "add_tags": "Add tags",
    "set_sla_policy": "Set SLA policy",
    "assign": "Assign",
    "auto_reply": "Send auto-reply",
    "mark_spam": "Mark as spam",
    "stop": "Stop further rules",
}
# How each condition's value is entered.
CHOICE_FIELDS = ("channel", "account", "sentiment", "pii")  # checkboxes, several values
LIST_FIELDS = ("language", "contact_tags", "crm_tier")  # comma-separated text
SELECT_FIELDS = ("visibility", "influence", "verified", "conversation", "business_hours")
NUMBER_FIELDS = ("sentiment_score", "followers", "earlier_conversations")
WIDGETS = {
    **dict.fromkeys(CHOICE_FIELDS, "choices"),
    **dict.fromkeys(LIST_FIELDS, "list"),
    **dict.fromkeys(SELECT_FIELDS, "select"),
    **dict.fromkeys(NUMBER_FIELDS, "number"),
    "text": "query",
}
PLACEHOLDERS = {
    "language": "es, pt",
    "contact_tags": "vip, press",
    "crm_tier": "gold",
    "sentiment_score": "-0.5",
    "followers": "10000",
    "earlier_conversations": "3",
    "text": 'refund AND (late OR missing) NOT "job offer"',
}
_KEY = re.compile(r"^[A-Za-z0-9]{1,16}$")
_ROW_ERROR = re.compile(r"^(conditions|actions)\[(\d+)\]")


# --------------------------------------------------------------------------- rows of the editor


# Form data or query parameters: both Starlette multi-dicts.
MultiDict = ImmutableMultiDict[str, Any]


@dataclass
class Row:
    """One condition or action row as the editor shows it (raw strings, as typed)."""

    key: str
    kind: str  # "condition" or "action"
    name: str = ""  # the condition's field or the action's type
    op: str = ""
    values: list[str] = field(default_factory=list)
    text: str = ""  # an auto-reply's own text
    calendar: str = ""  # a business-hours condition's calendar id
    error: str = ""
    position: int | None = None  # 1-based, in a malformed text query

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    def marked_query(self) -> tuple[str, str, str]:
        """The query split around the character the error points at."""
        query, index = self.value, (self.position or 1) - 1
        return query[:index], query[index : index + 1] or " ", query[index + 1 :]


def new_key() -> str:
    return secrets.token_hex(4)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_rows(data: MultiDict) -> tuple[list[Row], list[Row]]:
    """Condition and action rows of a submitted editor, in the form's order; rows without a
    field (or action) chosen are left out."""
    conditions: list[Row] = []
    actions: list[Row] = []
    for key in dict.fromkeys(_text(k) for k in data.getlist("cond")):
        name = _text(data.get(f"c{key}_field", ""))
        if _KEY.match(key) and name:
            conditions.append(
                Row(
                    key,
                    "condition",
                    name,
                    op=_text(data.get(f"c{key}_op", "")),
                    values=[_text(v) for v in data.getlist(f"c{key}_value")],
                    calendar=_text(data.get(f"c{key}_calendar", "")),
                )
            )
    for key in dict.fromkeys(_text(k) for k in data.getlist("act")):
        name = _text(data.get(f"a{key}_type", ""))
        if _KEY.match(key) and name:
            actions.append(
                Row(
                    key,
                    "action",
                    name,
                    values=[_text(v) for v in data.getlist(f"a{key}_value")],
                    text=_text(data.get(f"a{key}_text", "")),
                )
            )
    return conditions, actions


def _number(raw: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(raw.strip())
    except ValueError:
        return raw  # the rule's validation explains what is expected


def condition_json(row: Row) -> dict[str, Any]:
    name, raw = row.name, row.value
    value: Any
    if name == "account":
        value = [int(v) if v.isdigit() else v for v in row.values]
    elif name in CHOICE_FIELDS:
        value = list(row.values)
    elif name in LIST_FIELDS:
        value = _split(raw)
    elif name == "sentiment_score":
        value = _number(raw, float)
    elif name in NUMBER_FIELDS:
        value = _number(raw, int)
    elif name == "verified":
        value = {"true": True, "false": False}.get(raw, raw)
    else:
        value = raw
    ops = CONDITION_FIELDS.get(name, ("",))
    data: dict[str, Any] = {"field": name, "op": row.op or ops[0], "value": value}
    if name == "business_hours" and row.calendar:
        data["calendar_id"] = int(row.calendar) if row.calendar.isdigit() else row.calendar
    return data


def action_json(row: Row) -> dict[str, Any]:
    kind, raw = row.name, row.value.strip()
    if ACTION_TYPES.get(kind) == "":
        return {"type": kind}
    value: Any
    if kind in ("set_team", "set_sla_policy"):
        value = int(raw) if raw.isdigit() else (raw or None)
    elif kind == "add_tags":
        value = _split(raw)
    elif kind == "auto_reply":
        value = row.text.strip() or (int(raw) if raw.isdigit() else None)
    else:
        value = raw or None
    return {"type": kind, "value": value}


def rows_of(rule: Rule) -> tuple[list[Row], list[Row]]:
    """The editor's rows for a stored rule."""
    conditions = []
    for item in rule.conditions:
        name, value = item.get("field", ""), item.get("value")
        if name in CHOICE_FIELDS:
            values = [str(v) for v in value or []]
        elif name in LIST_FIELDS:
            values = [", ".join(str(v) for v in value or [])]
        elif name == "verified":
            values = ["true" if value else "false"]
        else:
            values = ["" if value is None else str(value)]
        calendar = item.get("calendar_id")
        conditions.append(
            Row(
                new_key(),
                "condition",
                name,
                op=item.get("op", ""),
                values=values,
                calendar="" if calendar is None else str(calendar),
            )
        )
    actions = []
    for item in rule.actions:
        kind, value = item.get("type", ""), item.get("value")
        if kind == "add_tags":
            row = Row(new_key(), "action", kind, values=[", ".join(value or [])])
        elif kind == "auto_reply" and isinstance(value, str):
            row = Row(new_key(), "action", kind, text=value)
        else:
            row = Row(new_key(), "action", kind, values=[] if value is None else [str(value)])
        actions.append(row)
    return conditions, actions


def mark_error(exc: RuleValidationError, conditions: list[Row], actions: list[Row]) -> str:
    """Put the error on its row; returns the message for the top of the page."""
    found = _ROW_ERROR.match(exc.field)
    if found is None:
        return exc.detail
    rows = conditions if found.group(1) == "conditions" else actions
    index = int(found.group(2))
    if index >= len(rows):
        return exc.detail
    rows[index].error, rows[index].position = exc.message, exc.position
    what = "Condition" if found.group(1) == "conditions" else "Action"
    return f"{what} {index + 1}: {exc.message}"


# --------------------------------------------------------------------------- options and summary


@dataclass
class Options:
    """What the editor's selects offer, and the names the summaries show."""

    choices: dict[str, list[tuple[str, str]]]
    action_choices: dict[str, list[tuple[str, str]]]
    calendars: list[tuple[str, str]]
    names: dict[str, dict[int, str]]
    fields: list[tuple[str, str]] = field(
        default_factory=lambda: [(f, FIELD_LABELS[f]) for f in CONDITION_FIELDS]
    )
    actions: list[tuple[str, str]] = field(
        default_factory=lambda: [(t, ACTION_LABELS[t]) for t in ACTION_TYPES]
    )
    ops: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(CONDITION_FIELDS))
    op_labels: dict[str, str] = field(default_factory=lambda: dict(OP_LABELS))
    widgets: dict[str, str] = field(default_factory=lambda: dict(WIDGETS))
    placeholders: dict[str, str] = field(default_factory=lambda: dict(PLACEHOLDERS))


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


def editor_options(session: Session, workspace_id: int, platforms: Iterable[str]) -> Options:
    accounts = list_accounts(session, workspace_id)
    teams = list(
        session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    )
    users = list(
        session.scalars(
            select(User)
            .where(User.workspace_id == workspace_id, User.is_active.is_(True))
            .order_by(User.name)
        )
    )
    canned = list(
        session.scalars(
            select(CannedResponse)
            .where(CannedResponse.workspace_id == workspace_id)
            .order_by(CannedResponse.title)
        )
    )
    policies = sla_svc.list_policies(session, workspace_id)
    calendars = cal_svc.list_calendars(session, workspace_id)
    account_names = {a.id: f"{a.name} ({a.platform})" for a in accounts}
    return Options(
        choices={
            "channel": _pairs(sorted({*platforms, *(a.platform for a in accounts)})),
            "account": [(str(i), n) for i, n in account_names.items()],
            "sentiment": _pairs(SENTIMENTS),
            "pii": [
                ("email", "Email"),
                ("phone", "Phone"),
                ("card", "Card number"),
                ("reference", "Order/account number"),
            ],
            "visibility": _pairs(("public", "private")),
            "influence": _pairs(INFLUENCE_LEVELS),
            "verified": [("true", "Yes"), ("false", "No")],
            "conversation": [("new", "New conversation"), ("existing", "Existing conversation")],
            "business_hours": [("open", "Open"), ("closed", "Closed")],
        },
        action_choices={
            "set_team": [(str(t.id), t.name) for t in teams],
            "set_priority": _pairs(p.value for p in Priority),
            "set_sla_policy": [(str(p.id), p.name) for p in policies],
            "assign": [("auto", "Automatically (team strategy)")]
            + [(f"user:{u.id}", u.name) for u in users],
            "auto_reply": [(str(c.id), c.title) for c in canned],
        },
        calendars=[(str(c.id), c.name) for c in calendars],
        names={
            "account": account_names,
            "team": {t.id: t.name for t in teams},
            "policy": {p.id: p.name for p in policies},
            "canned": {c.id: c.title for c in canned},
            "user": {u.id: u.name for u in users},
            "calendar": {c.id: c.name for c in calendars},
        },
    )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_condition(item: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    name, op, value = item.get("field", ""), item.get("op", ""), item.get("value")
    label = FIELD_LABELS.get(name, name)
    if name == "account":
        shown = ", ".join(names["account"].get(v, f"#{v}") for v in value or [])
    elif name == "text":
        shown = f"“{value}”"
    elif name == "verified":
        shown = "yes" if value else "no"
    elif name == "pii" and not value:
        shown = "any kind"
    elif isinstance(value, list):
        shown = ", ".join(str(v) for v in value)
    else:
        shown = str(value)
    if name == "business_hours":
        calendar = item.get("calendar_id")
        where = names["calendar"].get(calendar, f"#{calendar}") if calendar else "default"
        return f"Business hours ({where}) are {shown}"
    if name == "conversation":
        return f"{shown.capitalize()} conversation"
    return f"{label} {OP_LABELS.get(op, op)} {shown}"


def describe_action(item: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    kind, value = item.get("type", ""), item.get("value")
    value_id = value if isinstance(value, int) else 0
    if kind == "set_team":
        return f"Team → {names['team'].get(value_id, f'#{value}')}"
    if kind == "set_priority":
        return f"Priority → {value}"
    if kind == "add_tags":
        return "Tags + " + ", ".join(value or [])
    if kind == "set_sla_policy":
        return f"SLA policy → {names['policy'].get(value_id, f'#{value}')}"
    if kind == "assign":
        if value == "auto":
            return "Assign automatically"
        user_id = int(str(value).removeprefix("user:") or 0)
        return f"Assign → {names['user'].get(user_id, f'user #{user_id}')}"
    if kind == "auto_reply":
        if isinstance(value, int):
            return f"Auto-reply “{names['canned'].get(value, f'#{value}')}”"
        return f"Auto-reply: {_shorten(str(value))}"
    return ACTION_LABELS.get(kind, kind)


def describe_rule(rule: Rule, names: dict[str, dict[int, str]]) -> dict[str, Any]:
    conditions = [describe_condition(c, names) for c in rule.conditions]
    return {
        "match": "every message"
        if not conditions
        else ("all of" if rule.match == "all" or len(conditions) == 1 else "any of"),
        "conditions": conditions,
        "actions": [describe_action(a, names) for a in rule.actions],
    }


# --------------------------------------------------------------------------- rules page


@dataclass
class Draft:
    """The editor's state: a new rule, a stored one, or a submitted one to show again."""

    rule_id: int | None = None
    name: str = ""
    description: str = ""
    match: str = "all"
    enabled: bool = False
    conditions: list[Row] = field(default_factory=list)
    actions: list[Row] = field(default_factory=list)

    @classmethod
    def blank(cls) -> Draft:
        return cls(conditions=[Row(new_key(), "condition")], actions=[Row(new_key(), "action")])

    @classmethod
    def of(cls, rule: Rule) -> Draft:
        conditions, actions = rows_of(rule)
        return cls(
            rule.id, rule.name, rule.description, rule.match, rule.enabled, conditions, actions
        )


def _platforms(request: Request) -> list[str]:
    return sorted(get_app(request).channels)


def _rules_page(
    request: Request,
    agent: SignedIn,
    draft: Draft | None = None,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    with get_app(request).db.read_session() as session:
        ws = agent.workspace_id
        options = editor_options(session, ws, _platforms(request))
        rules = svc.list_rules(session, ws)
        context: dict[str, Any] = {
            "agent": agent,
            "rules": rules,
            "summaries": {r.id: describe_rule(r, options.names) for r in rules},
            "draft": draft or Draft.blank(),
            "opts": options,
            "try_days": TRY_DAYS,
            "error": error,
            "views": VIEWS,
            "counts": view_counts(session, ws, agent.user_id),
            "query": InboxQuery(view=""),
        }
        return render(request, "admin_rules.html", context, status_code=status_code)


def _rule_input(draft: Draft) -> svc.RuleInput:
    return svc.RuleInput(
        name=draft.name,
        description=draft.description,
        match=draft.match,
        conditions=[condition_json(r) for r in draft.conditions],
        actions=[action_json(r) for r in draft.actions],
        enabled=draft.enabled,
    )


async def _submitted(request: Request, rule_id: int | None) -> Draft:
    form = await request.form()
    conditions, actions = parse_rows(form)
    return Draft(
        rule_id=rule_id,
        name=_text(form.get("name", ""))[:300],
        description=_text(form.get("description", ""))[:2000],
        match=_text(form.get("match", "all")),
        enabled=_text(form.get("enabled", "")) in ("1", "on", "yes"),
        conditions=conditions,
        actions=actions,
    )


def _save(
    request: Request, agent: SignedIn, draft: Draft, change: Callable[[Session], Any]
) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            change(session)
    except RuleValidationError as exc:
        message = mark_error(exc, draft.conditions, draft.actions)
        return _rules_page(request, agent, draft, status_code=422, error=message)
    except SocialdeskError as exc:
        return _rules_page(request, agent, draft, status_code=exc.status, error=exc.detail)
    return RedirectResponse(PAGE, status_code=303)


def _act(
    request: Request, agent: SignedIn, change: Callable[[Session], Any]
) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            change(session)
    except SocialdeskError as exc:
        return _rules_page(request, agent, status_code=exc.status, error=exc.detail)
    return RedirectResponse(PAGE, status_code=303)


@router.get("/admin/rules", name="ui_admin_rules", response_class=HTMLResponse)
def rules_page(request: Request, agent: ManagerDep) -> HTMLResponse:
    return _rules_page(request, agent)


@router.post("/admin/rules", name="ui_admin_rules_create", response_model=None)
async def rule_create(request: Request, agent: ManagerDep) -> HTMLResponse | RedirectResponse:
    draft = await _submitted(request, None)
    return _save(
        request,
        agent,
        draft,
        lambda s: svc.create_rule(s, agent.workspace_id, _rule_input(draft)),
    )


@router.get("/admin/rules/row", name="ui_admin_rules_row", response_class=HTMLResponse)
def rule_row(request: Request, agent: ManagerDep) -> HTMLResponse:
    """One editor row: a new one ("Add condition"), or one whose field just changed."""
    params = request.query_params
    kind = "action" if params.get("kind") == "action" else "condition"
    key = params.get("key", "")
    key = key if _KEY.match(key) else new_key()
    name = params.get(f"c{key}_field" if kind == "condition" else f"a{key}_type", "")
    known = CONDITION_FIELDS if kind == "condition" else ACTION_TYPES
    row = Row(key, kind, name if name in known else "")
    with get_app(request).db.read_session() as session:
        options = editor_options(session, agent.workspace_id, _platforms(request))
    context = {"agent": agent, "row": row, "opts": options}
    return render(request, "_rule_row.html", context)


@router.get("/admin/rules/try", name="ui_admin_rules_try", response_class=HTMLResponse)
def rule_try(request: Request, agent: ManagerDep) -> HTMLResponse:
    """The dry run of the editor's conditions: how many stored messages of the last D days
    the rule would have matched, with the newest few."""
    params = request.query_params
    conditions, actions = parse_rows(params)
    raw_days = params.get("try_days", "7")
    days = int(raw_days) if raw_days.isdigit() else 0
    context: dict[str, Any] = {"agent": agent, "conditions": conditions}
    try:
        spec = validate_rule(
            match=params.get("match", "all"),
            conditions=[condition_json(r) for r in conditions],
            actions=[{"type": "stop"}],
        )
        with get_app(request).db.read_session() as session:
            context["result"] = svc.try_rule(session, agent.workspace_id, spec, days=days)
    except RuleValidationError as exc:
        context["error"] = mark_error(exc, conditions, actions)
        context["bad_row"] = next((r for r in conditions if r.error), None)
        return render(request, "_rule_try.html", context, status_code=422)
    except SocialdeskError as exc:
        context["error"] = exc.detail
        return render(request, "_rule_try.html", context, status_code=exc.status)
    return render(request, "_rule_try.html", context)


@router.get("/admin/rules/{rule_id}", name="ui_admin_rule", response_class=HTMLResponse)
def rule_page(request: Request, rule_id: int, agent: ManagerDep) -> HTMLResponse:
    try:
        with get_app(request).db.read_session() as session:
            draft = Draft.of(svc.get_rule(session, agent.workspace_id, rule_id))
    except SocialdeskError as exc:
        return _rules_page(request, agent, status_code=exc.status, error=exc.detail)
    return _rules_page(request, agent, draft)


@router.post("/admin/rules/{rule_id}", name="ui_admin_rule_update", response_model=None)
async def rule_update(
    request: Request, rule_id: int, agent: ManagerDep
) -> HTMLResponse | RedirectResponse:
    draft = await _submitted(request, rule_id)
    return _save(
        request,
        agent,
        draft,
        lambda s: svc.update_rule(s, agent.workspace_id, rule_id, _rule_input(draft)),
    )


@router.post("/admin/rules/{rule_id}/enabled", name="ui_admin_rule_enabled", response_model=None)
def rule_enabled(
    request: Request,
    rule_id: int,
    agent: ManagerDep,
    enabled: Annotated[str, Form(max_length=5)],
) -> HTMLResponse | RedirectResponse:
    def change(session: Session) -> None:
        if enabled not in ("1", "0"):
            raise InvalidInput("enabled must be 1 (on) or 0 (off)")
        svc.set_enabled(session, agent.workspace_id, rule_id, enabled == "1")

    return _act(request, agent, change)


@router.post("/admin/rules/{rule_id}/move", name="ui_admin_rule_move", response_model=None)
def rule_move(
    request: Request,
    rule_id: int,
    agent: ManagerDep,
    direction: Annotated[str, Form(max_length=5)],
) -> HTMLResponse | RedirectResponse:
    def change(session: Session) -> None:
        if direction not in ("up", "down"):
            raise InvalidInput("direction must be up or down")
        order = [r.id for r in svc.list_rules(session, agent.workspace_id)]
        svc.get_rule(session, agent.workspace_id, rule_id)  # 404 for another workspace's
        index = order.index(rule_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            svc.reorder_rules(session, agent.workspace_id, order)

    return _act(request, agent, change)


@router.post("/admin/rules/{rule_id}/delete", name="ui_admin_rule_delete", response_model=None)
def rule_delete(
    request: Request, rule_id: int, agent: ManagerDep
) -> HTMLResponse | RedirectResponse:
    return _act(request, agent, lambda s: svc.delete_rule(s, agent.workspace_id, rule_id))


# --------------------------------------------------------------------------- auto-replies page

_AUTO_TEXTS = ("out_of_hours_text", "in_hours_text", "welcome_text")
_AUTO_FLAGS = (
    "enabled",
    "out_of_hours_enabled",
    "in_hours_enabled",
    "welcome_enabled",
    "public_posts",
)
_SAMPLE_CONTACT = "Dana"


@dataclass
class AutoForm:
    """The auto-reply form's values (stored, or as submitted)."""

    account_id: int | None = None
    enabled: bool = True
    out_of_hours_enabled: bool = True
    out_of_hours_text: str = ""
    in_hours_enabled: bool = False
    in_hours_text: str = ""
    welcome_enabled: bool = False
    welcome_text: str = ""
    public_posts: bool = False
    buttons: str = ""
    calendar: str = ""

    @classmethod
    def of(cls, row: AutoReplySettings | None, account_id: int | None) -> AutoForm:
        if row is None:
            return cls(account_id=account_id)
        return cls(
            account_id=account_id,
            enabled=row.enabled,
            out_of_hours_enabled=row.out_of_hours_enabled,
            out_of_hours_text=row.out_of_hours_text,
            in_hours_enabled=row.in_hours_enabled,
            in_hours_text=row.in_hours_text,
            welcome_enabled=row.welcome_enabled,
            welcome_text=row.welcome_text,
            public_posts=row.public_posts,
            buttons="\n".join(str(b) for b in row.welcome_buttons or []),
            calendar="" if row.calendar_id is None else str(row.calendar_id),
        )

    @classmethod
    def parse(cls, data: MultiDict) -> AutoForm:
        account = _text(data.get("account", ""))
        form = cls(account_id=int(account) if account.isdigit() else None)
        for name in _AUTO_FLAGS:
            setattr(form, name, _text(data.get(name, "")) in ("1", "on", "yes"))
        for name in _AUTO_TEXTS:
            setattr(form, name, _text(data.get(name, ""))[:5000])
        form.buttons = _text(data.get("buttons", ""))[:2000]
        form.calendar = _text(data.get("calendar", ""))
        return form

    def button_list(self) -> list[str]:
        """One button per line (or comma-separated)."""
        return [b.strip() for b in self.buttons.replace(",", "\n").splitlines() if b.strip()]

    def values(self) -> dict[str, Any]:
        if self.calendar and not self.calendar.isdigit():
            raise InvalidInput("choose a calendar from the list")
        return {
            **{name: getattr(self, name) for name in (*_AUTO_FLAGS, *_AUTO_TEXTS)},
            "welcome_buttons": self.button_list(),
            "calendar_id": int(self.calendar) if self.calendar else None,
        }


def _preview(session: Session, workspace_id: int, form: AutoForm) -> dict[str, Any]:
    """The acknowledgements as a customer called Dana would read them now."""
    calendar_id = int(form.calendar) if form.calendar.isdigit() else None
    check_settings(session, workspace_id, {"calendar_id": calendar_id})
    stored = own_row(session, workspace_id, form.account_id) if form.account_id else None
    stored = stored or own_row(session, workspace_id, None)
    row = AutoReplySettings(
        workspace_id=workspace_id,
        calendar_id=calendar_id,
        business_hours=dict(stored.business_hours or {}) if stored else {},
    )
    accounts = list_accounts(session, workspace_id)
    brand = next((a.name for a in accounts if a.id == form.account_id), None)
    brand = brand or (accounts[0].name if accounts else "your brand")
    try:
        calendar = auto_svc.business_calendar(session, row)
    except SocialdeskError as exc:
        return {"error": exc.detail}
    now = utcnow()
    is_open = calendar.is_open(now)
    opening = auto_svc.format_opening(calendar.next_open(now), calendar, now) if not is_open else ""
    variables = {
        "contact.name": _SAMPLE_CONTACT,
        "brand.name": brand,
        "next_opening": opening
        or auto_svc.format_opening(now + timedelta(hours=14), calendar, now),
        "expected_wait": auto_svc.format_wait(auto_svc.DEFAULT_FRT),
    }
    kinds = {
        "out_of_hours_text": auto_svc.OUT_OF_HOURS,
        "in_hours_text": auto_svc.IN_HOURS,
        "welcome_text": auto_svc.WELCOME,
    }
    texts = {}
    for name, kind in kinds.items():
        raw = getattr(form, name) or auto_svc.DEFAULT_TEXTS[kind]
        texts[name] = render_canned(raw, variables)
    if not form.enabled:
        now_sends = "nothing (auto-replies are switched off)"
    elif not is_open:
        now_sends = "the out-of-hours acknowledgement" if form.out_of_hours_enabled else "nothing"
    elif form.in_hours_enabled:
        now_sends = "the in-hours acknowledgement (or the welcome for new private messages)"
    elif form.welcome_enabled:
        now_sends = "the welcome to new private conversations only"
    else:
        now_sends = "nothing while open"
    if form.enabled and not form.public_posts and now_sends.startswith("the "):
        now_sends += ", to private messages only"
    return {
        "open": is_open,
        "texts": texts,
        "now_sends": now_sends,
        "buttons": form.button_list() or auto_svc.DEFAULT_BUTTONS,
        "opening": opening,
    }


def _auto_page(
    request: Request,
    agent: SignedIn,
    form: AutoForm | None = None,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    with get_app(request).db.read_session() as session:
        ws = agent.workspace_id
        accounts = list_accounts(session, ws)
        overrides = {
            row.channel_account_id: row
            for row in session.scalars(
                select(AutoReplySettings).where(
                    AutoReplySettings.workspace_id == ws,
                    AutoReplySettings.channel_account_id.is_not(None),
                )
            )
        }
        if form is None:
            form = AutoForm.of(own_row(session, ws, None), None)
        try:
            preview = _preview(session, ws, form)
        except SocialdeskError as exc:
            preview = {"error": exc.detail}
        context: dict[str, Any] = {
            "agent": agent,
            "form": form,
            "workspace_configured": own_row(session, ws, None) is not None,
            "accounts": accounts,
            "account_names": {a.id: f"{a.name} ({a.platform})" for a in accounts},
            "overrides": overrides,
            "calendars": cal_svc.list_calendars(session, ws),
            "variables": TEXT_VARIABLES,
            "defaults": {
                "out_of_hours_text": auto_svc.DEFAULT_TEXTS[auto_svc.OUT_OF_HOURS],
                "in_hours_text": auto_svc.DEFAULT_TEXTS[auto_svc.IN_HOURS],
                "welcome_text": auto_svc.DEFAULT_TEXTS[auto_svc.WELCOME],
            },
            "preview": preview,
            "error": error,
            "views": VIEWS,
            "counts": view_counts(session, ws, agent.user_id),
            "query": InboxQuery(view=""),
        }
        return render(request, "admin_autoreplies.html", context, status_code=status_code)


@router.get("/admin/autoreplies", name="ui_admin_autoreplies", response_class=HTMLResponse)
def autoreplies_page(request: Request, agent: ManagerDep) -> HTMLResponse:
    """The workspace's settings, or with ``?account=ID`` one account's own (starting from the
    workspace's when it has none yet)."""
    account = request.query_params.get("account", "")
    if not account.isdigit():
        return _auto_page(request, agent)
    account_id = int(account)
    with get_app(request).db.read_session() as session:
        known = {a.id for a in list_accounts(session, agent.workspace_id)}
        row = own_row(session, agent.workspace_id, account_id) or own_row(
            session, agent.workspace_id, None
        )
    if account_id not in known:
        return _auto_page(request, agent, status_code=404, error="no such channel account")
    return _auto_page(request, agent, AutoForm.of(row, account_id))


@router.post("/admin/autoreplies", name="ui_admin_autoreplies_save", response_model=None)
async def autoreplies_save(request: Request, agent: ManagerDep) -> HTMLResponse | RedirectResponse:
    form = AutoForm.parse(await request.form())
    try:
        with get_app(request).db.session() as session:
            values = form.values()
            check_settings(session, agent.workspace_id, values)
            auto_svc.save_settings(
                session, agent.workspace_id, channel_account_id=form.account_id, **values
            )
    except SocialdeskError as exc:
        return _auto_page(request, agent, form, status_code=exc.status, error=exc.detail)
    return RedirectResponse(AUTO_PAGE, status_code=303)


@router.get(
    "/admin/autoreplies/preview", name="ui_admin_autoreplies_preview", response_class=HTMLResponse
)
def autoreplies_preview(request: Request, agent: ManagerDep) -> HTMLResponse:
    form = AutoForm.parse(request.query_params)
    with get_app(request).db.read_session() as session:
        try:
            form.values()
            preview = _preview(session, agent.workspace_id, form)
        except SocialdeskError as exc:
            preview = {"error": exc.detail}
    return render(request, "_autoreply_preview.html", {"agent": agent, "preview": preview})


@router.post(
    "/admin/autoreplies/accounts/{account_id}/delete",
    name="ui_admin_autoreplies_account_delete",
    response_model=None,
)
def autoreplies_account_delete(
    request: Request, account_id: int, agent: ManagerDep
) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            row = own_row(session, agent.workspace_id, account_id)
            if row is None:
                raise InvalidInput(f"channel account {account_id} has no settings of its own")
            session.delete(row)
    except SocialdeskError as exc:
        return _auto_page(request, agent, status_code=exc.status, error=exc.detail)
    return RedirectResponse(AUTO_PAGE, status_code=303)
