"""Routing rules: ordered per workspace, each with conditions (all/any) and actions.

Everyone may read them; admins and supervisors (and tokens without a user) may change them.
Malformed input answers 422 with ``errors`` naming the element (``conditions[1].value``) and,
for a text query that does not parse, the 1-based ``position`` of the error in the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from socialdesk.domain.errors import Forbidden
from socialdesk.domain.rules import (
    ACTION_TYPES,
    CONDITION_FIELDS,
    RuleValidationError,
    validate_rule,
)
from socialdesk.domain.types import Role
from socialdesk.services import rules as svc
from socialdesk.store.models import Rule
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.deps import Caller, CallerDep, ReadSessionDep
from socialdesk.web.problems import problem_response

router = APIRouter(prefix="/rules", tags=["rules"])

_EDITORS = {Role.ADMIN.value, Role.SUPERVISOR.value}

_CONDITIONS_DOC = (
    'Conditions, each {"field", "op", "value"}; fields and their operators: '
    + "; ".join(f"{f} ({', '.join(ops)})" for f, ops in CONDITION_FIELDS.items())
    + '. business_hours takes an optional "calendar_id" (default: the default SLA policy\'s '
    'calendar). text takes a query such as refund AND (late OR missing) NOT "job offer".'
)
_ACTIONS_DOC = 'Actions, each {"type", "value"}: ' + "; ".join(
    f"{t} ({v})" if v else t for t, v in ACTION_TYPES.items()
)


def require_editor(caller: Caller) -> None:
    if caller.role not in _EDITORS:
        raise Forbidden("only admins and supervisors may change routing rules")


class RuleIn(RequestModel):
    name: str = Field(min_length=1, max_length=200, description="Shown to admins, unique")
    description: str = Field(default="", max_length=2000)
    match: Literal["all", "any"] = Field(default="all", description="All conditions, or any")
    conditions: list[dict[str, Any]] = Field(
        default_factory=list, max_length=50, description=_CONDITIONS_DOC
    )
    actions: list[dict[str, Any]] = Field(min_length=1, max_length=20, description=_ACTIONS_DOC)
    enabled: bool = Field(default=False, description="New rules are off until switched on")
    position: int | None = Field(
        default=None, ge=1, le=100_000, description="1-based place in the order; default last"
    )


class RulePatch(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    match: Literal["all", "any"] | None = None
    conditions: list[dict[str, Any]] | None = Field(
        default=None, max_length=50, description=_CONDITIONS_DOC
    )
    actions: list[dict[str, Any]] | None = Field(
        default=None, min_length=1, max_length=20, description=_ACTIONS_DOC
    )
    enabled: bool | None = None
    position: int | None = Field(default=None, ge=1, le=100_000)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    position: int
    enabled: bool
    match: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class RuleList(BaseModel):
    items: list[RuleOut]


class ReorderIn(RequestModel):
    rule_ids: list[int] = Field(max_length=10_000, description="Every rule's id, in the new order")


class TryIn(RequestModel):
    days: int = Field(default=7, ge=1, le=svc.MAX_TRY_DAYS)
    match: Literal["all", "any"] = "all"
    conditions: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    actions: list[dict[str, Any]] = Field(
        default_factory=lambda: [{"type": "stop"}],
        max_length=20,
        description="Optional here: only the conditions decide a match",
    )


class TrySample(BaseModel):
    message_id: int
    conversation_id: int | None
    platform: str
    text: str
    language: str | None
    sentiment: str | None
    platform_time: datetime


class TryOut(BaseModel):
    days: int
    since: datetime
    evaluated: int = Field(description="Inbound customer messages of the period that were tried")
    matched: int = Field(description="How many of them the rule would have matched")
    truncated: bool = Field(description="True when only the newest 50,000 were tried")
    samples: list[TrySample]


def _invalid(exc: RuleValidationError) -> JSONResponse:
    error: dict[str, Any] = {"field": exc.field, "message": exc.message}
    if exc.position is not None:
        error["position"] = exc.position
    return problem_response(422, exc.detail, title="Invalid input", errors=[error])


def _out(rule: Rule) -> RuleOut:
    return RuleOut.model_validate(rule)


def _try_out(result: svc.TryResult) -> TryOut:
    return TryOut(
        days=result.days,
        since=result.since,
        evaluated=result.evaluated,
        matched=result.matched,
        truncated=result.truncated,
        samples=[TrySample(**s) for s in result.samples],
    )


_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid rule; errors[0] has field and, for queries, position"}
}


@router.get("", summary="List routing rules in evaluation order")
def list_rules(caller: CallerDep, session: ReadSessionDep) -> RuleList:
    return RuleList(items=[_out(r) for r in svc.list_rules(session, caller.workspace_id)])


@router.post("", status_code=201, summary="Create a rule", responses=_INVALID, response_model=None)
def create_rule(body: RuleIn, caller: CallerDep, session: TxSessionDep) -> RuleOut | JSONResponse:
    require_editor(caller)
    try:
        rule = svc.create_rule(
            session,
            caller.workspace_id,
            svc.RuleInput(
                name=body.name,
                description=body.description,
                match=body.match,
                conditions=body.conditions,
                actions=body.actions,
                enabled=body.enabled,
                position=body.position,
            ),
        )
    except RuleValidationError as exc:
        return _invalid(exc)
    return _out(rule)


@router.post("/reorder", summary="Put the rules in a new order (every rule listed once)")
def reorder_rules(body: ReorderIn, caller: CallerDep, session: TxSessionDep) -> RuleList:
    require_editor(caller)
    rules = svc.reorder_rules(session, caller.workspace_id, body.rule_ids)
    return RuleList(items=[_out(r) for r in rules])


@router.post(
    "/try",
    summary="Try a draft rule on the stored messages of the last N days",
    responses=_INVALID,
    response_model=None,
)
def try_draft(body: TryIn, caller: CallerDep, session: ReadSessionDep) -> TryOut | JSONResponse:
    try:
        spec = validate_rule(match=body.match, conditions=body.conditions, actions=body.actions)
        result = svc.try_rule(session, caller.workspace_id, spec, days=body.days)
    except RuleValidationError as exc:
        return _invalid(exc)
    return _try_out(result)


@router.get("/{rule_id}", summary="One rule")
def get_rule(rule_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> RuleOut:
    return _out(svc.get_rule(session, caller.workspace_id, rule_id))


@router.patch("/{rule_id}", summary="Change a rule", responses=_INVALID, response_model=None)
def update_rule(
    rule_id: IdPath, body: RulePatch, caller: CallerDep, session: TxSessionDep
) -> RuleOut | JSONResponse:
    require_editor(caller)
    try:
        rule = svc.update_rule(
            session,
            caller.workspace_id,
            rule_id,
            svc.RuleInput(
                name=body.name,
                description=body.description,
                match=body.match,
                conditions=body.conditions,
                actions=body.actions,
                enabled=body.enabled,
                position=body.position,
            ),
        )
    except RuleValidationError as exc:
        return _invalid(exc)
    return _out(rule)


@router.put("/{rule_id}", include_in_schema=False, response_model=None)
def replace_rule(
    rule_id: IdPath, body: RulePatch, caller: CallerDep, session: TxSessionDep
) -> RuleOut | JSONResponse:
    return update_rule(rule_id, body, caller, session)


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule")
def delete_rule(rule_id: IdPath, caller: CallerDep, session: TxSessionDep) -> Response:
    require_editor(caller)
    svc.delete_rule(session, caller.workspace_id, rule_id)
    return Response(status_code=204)


@router.post("/{rule_id}/enable", summary="Switch a rule on")
def enable_rule(rule_id: IdPath, caller: CallerDep, session: TxSessionDep) -> RuleOut:
    require_editor(caller)
    return _out(svc.set_enabled(session, caller.workspace_id, rule_id, True))


@router.post("/{rule_id}/disable", summary="Switch a rule off")
def disable_rule(rule_id: IdPath, caller: CallerDep, session: TxSessionDep) -> RuleOut:
    require_editor(caller)
    return _out(svc.set_enabled(session, caller.workspace_id, rule_id, False))


@router.post(
    "/{rule_id}/try",
    summary="Count the stored messages of the last N days the rule would have matched",
    responses=_INVALID,
    response_model=None,
)
def try_stored(
    rule_id: IdPath,
    caller: CallerDep,
    session: ReadSessionDep,
    days: int = Query(default=7, ge=1, le=svc.MAX_TRY_DAYS),
) -> TryOut | JSONResponse:
    rule = svc.get_rule(session, caller.workspace_id, rule_id)
    try:
        result = svc.try_rule(session, caller.workspace_id, svc.rule_spec(rule), days=days)
    except RuleValidationError as exc:
        return _invalid(exc)
    return _try_out(result)
