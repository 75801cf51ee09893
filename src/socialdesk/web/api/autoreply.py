"""Auto-responder settings: the workspace's, and per channel account overrides.

Everyone may read them; admins and supervisors (and tokens without a user) may change them.
A PUT changes the fields it sends and keeps the others (a first PUT starts from the defaults
shown by GET). An empty text means the built-in default text. Texts take variables:
``{{contact.name}}`` and ``{{brand.name}}`` everywhere, ``{{next_opening}}`` in the
out-of-hours text, ``{{expected_wait}}`` in the in-hours text; any other variable is a 422.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound
from socialdesk.domain.types import Role
from socialdesk.services import autoreply as svc
from socialdesk.store.models import AutoReplySettings, BusinessHoursCalendar, ChannelAccount
from socialdesk.web.api.common import MAX_ID, IdPath, RequestModel, TxSessionDep
from socialdesk.web.deps import Caller, CallerDep, ReadSessionDep

__all__ = ["TEXT_VARIABLES", "check_settings", "router", "unknown_variables"]

router = APIRouter(prefix="/autoreply", tags=["auto-replies"])

_EDITORS = {Role.ADMIN.value, Role.SUPERVISOR.value}

# Which variables each text may use (others would be sent to the customer as written).
_COMMON = ("contact.name", "brand.name")
TEXT_VARIABLES: dict[str, tuple[str, ...]] = {
    "out_of_hours_text": (*_COMMON, "next_opening"),
    "in_hours_text": (*_COMMON, "expected_wait"),
    "welcome_text": _COMMON,
}
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def unknown_variables(field: str, text: str) -> list[str]:
    """The ``{{…}}`` variables of ``text`` that the ``field`` text cannot fill."""
    allowed = TEXT_VARIABLES[field]
    return [name for name in _VARIABLE.findall(text) if name not in allowed]


def check_settings(session: Session, workspace_id: int, values: dict[str, Any]) -> None:
    """What services/autoreply.save_settings does not check: variables and the calendar's
    workspace. Raises :class:`InvalidInput` naming the field."""
    for field in TEXT_VARIABLES:
        text = values.get(field)
        if not text:
            continue
        unknown = unknown_variables(field, str(text))
        if unknown:
            allowed = ", ".join("{{" + v + "}}" for v in TEXT_VARIABLES[field])
            raise InvalidInput(f"{field}: unknown variable {{{{{unknown[0]}}}}}; use {allowed}")
    calendar_id = values.get("calendar_id")
    if calendar_id is not None:
        found = session.scalar(
            select(BusinessHoursCalendar.id).where(
                BusinessHoursCalendar.id == calendar_id,
                BusinessHoursCalendar.workspace_id == workspace_id,
            )
        )
        if found is None:
            raise InvalidInput(f"calendar_id: calendar {calendar_id} does not exist")


def require_editor(caller: Caller) -> None:
    if caller.role not in _EDITORS:
        raise Forbidden("only admins and supervisors may change auto-reply settings")


class BusinessHoursIn(RequestModel):
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone")
    hours: dict[str, list[tuple[str, str]]] = Field(
        max_length=7,
        description='Opening hours per weekday in local time: {"mon": [["09:00", "17:00"]]}',
    )
    holiday_country: str | None = Field(
        default=None, min_length=2, max_length=3, description="Country whose holidays close"
    )


class AutoReplyIn(RequestModel):
    """Fields left out keep their stored value (on the first save: the defaults)."""

    enabled: bool = Field(default=True, description="Master switch of the acknowledgements")
    out_of_hours_enabled: bool = Field(
        default=True, description="Acknowledge messages outside business hours"
    )
    out_of_hours_text: str = Field(
        default="",
        max_length=2000,
        description="Empty: the default text; variables {{contact.name}}, {{brand.name}}, "
        "{{next_opening}}",
    )
    in_hours_enabled: bool = Field(
        default=False, description="Acknowledge in hours with the expected wait"
    )
    in_hours_text: str = Field(
        default="",
        max_length=2000,
        description="Empty: the default text; variables {{contact.name}}, {{brand.name}}, "
        "{{expected_wait}}",
    )
    welcome_enabled: bool = Field(
        default=False, description="Welcome new private conversations with quick replies"
    )
    welcome_text: str = Field(
        default="",
        max_length=2000,
        description="Empty: the default text; variables {{contact.name}}, {{brand.name}}",
    )
    public_posts: bool = Field(
        default=False,
        description="Acknowledge public posts too, with a public reply everyone sees (off: "
        "only private messages are acknowledged; mind platform rules on automated replies, "
        "such as X's)",
    )
    welcome_buttons: list[str] = Field(
        default_factory=list,
        max_length=svc.MAX_BUTTONS,
        description=f"Quick-reply buttons of the welcome message (each at most "
        f"{svc.MAX_BUTTON_CHARS} characters); empty: the default buttons",
    )
    calendar_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Business calendar that decides in/out of hours; null: the default SLA "
        "policy's calendar, else business_hours, else always open",
    )
    business_hours: BusinessHoursIn | None = Field(
        default=None, description="Own opening hours, used when no calendar applies"
    )

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if "business_hours" in values:
            hours = self.business_hours
            values["business_hours"] = (
                {} if hours is None else hours.model_dump(exclude_none=True, mode="json")
            )
        return values


class AutoReplyOut(BaseModel):
    channel_account_id: int | None = Field(description="null: the workspace's settings")
    configured: bool = Field(description="False: nothing stored, the values are the defaults")
    enabled: bool
    out_of_hours_enabled: bool
    out_of_hours_text: str
    in_hours_enabled: bool
    in_hours_text: str
    welcome_enabled: bool
    welcome_text: str
    welcome_buttons: list[str]
    public_posts: bool
    calendar_id: int | None
    business_hours: dict[str, Any]
    default_texts: dict[str, str] = Field(description="What an empty text sends")
    updated_at: datetime | None
    overridden_accounts: list[int] | None = Field(
        default=None, description="Workspace settings only: accounts with settings of their own"
    )


_DEFAULT_TEXTS = {
    "out_of_hours_text": svc.DEFAULT_TEXTS[svc.OUT_OF_HOURS],
    "in_hours_text": svc.DEFAULT_TEXTS[svc.IN_HOURS],
    "welcome_text": svc.DEFAULT_TEXTS[svc.WELCOME],
}


def _out(row: AutoReplySettings | None, account_id: int | None) -> AutoReplyOut:
    if row is None:  # what a first save would start from; nothing is sent without settings
        return AutoReplyOut(
            channel_account_id=account_id,
            configured=False,
            enabled=False,
            out_of_hours_enabled=True,
            out_of_hours_text="",
            in_hours_enabled=False,
            in_hours_text="",
            welcome_enabled=False,
            welcome_text="",
            welcome_buttons=[],
            public_posts=False,
            calendar_id=None,
            business_hours={},
            default_texts=_DEFAULT_TEXTS,
            updated_at=None,
        )
    return AutoReplyOut(
        channel_account_id=row.channel_account_id,
        configured=True,
        enabled=row.enabled,
        out_of_hours_enabled=row.out_of_hours_enabled,
        out_of_hours_text=row.out_of_hours_text,
        in_hours_enabled=row.in_hours_enabled,
        in_hours_text=row.in_hours_text,
        welcome_enabled=row.welcome_enabled,
        welcome_text=row.welcome_text,
        welcome_buttons=[str(b) for b in row.welcome_buttons or []],
        public_posts=row.public_posts,
        calendar_id=row.calendar_id,
        business_hours=dict(row.business_hours or {}),
        default_texts=_DEFAULT_TEXTS,
        updated_at=row.updated_at,
    )


def own_row(
    session: Session, workspace_id: int, account_id: int | None
) -> AutoReplySettings | None:
    """The stored row of the workspace (``account_id`` None) or of that account, not the
    fallback :func:`services.autoreply.get_settings` applies."""
    return session.scalar(
        select(AutoReplySettings).where(
            AutoReplySettings.workspace_id == workspace_id,
            AutoReplySettings.channel_account_id.is_(None)
            if account_id is None
            else AutoReplySettings.channel_account_id == account_id,
        )
    )


def overridden_accounts(session: Session, workspace_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AutoReplySettings.channel_account_id)
            .where(
                AutoReplySettings.workspace_id == workspace_id,
                AutoReplySettings.channel_account_id.is_not(None),
            )
            .order_by(AutoReplySettings.channel_account_id)
        )
    )


def _account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.workspace_id != workspace_id:
        raise NotFound(f"channel account {account_id} does not exist")
    return account


def _save(
    session: Session, workspace_id: int, account_id: int | None, body: AutoReplyIn
) -> AutoReplySettings:
    values = body.changes()
    check_settings(session, workspace_id, values)
    return svc.save_settings(session, workspace_id, channel_account_id=account_id, **values)


_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid settings: unknown variable, calendar, too many buttons…"}
}


@router.get("", summary="The workspace's auto-reply settings")
def get_workspace_settings(caller: CallerDep, session: ReadSessionDep) -> AutoReplyOut:
    out = _out(own_row(session, caller.workspace_id, None), None)
    out.overridden_accounts = overridden_accounts(session, caller.workspace_id)
    return out


@router.put("", summary="Change the workspace's auto-reply settings", responses=_INVALID)
def put_workspace_settings(
    body: AutoReplyIn, caller: CallerDep, session: TxSessionDep
) -> AutoReplyOut:
    require_editor(caller)
    row = _save(session, caller.workspace_id, None, body)
    out = _out(row, None)
    out.overridden_accounts = overridden_accounts(session, caller.workspace_id)
    return out


@router.get(
    "/accounts/{account_id}",
    summary="One account's own auto-reply settings (404 when it uses the workspace's)",
)
def get_account_settings(
    account_id: IdPath, caller: CallerDep, session: ReadSessionDep
) -> AutoReplyOut:
    _account(session, caller.workspace_id, account_id)
    row = own_row(session, caller.workspace_id, account_id)
    if row is None:
        raise NotFound(
            f"channel account {account_id} has no settings of its own; it uses the workspace's"
        )
    return _out(row, account_id)


@router.put(
    "/accounts/{account_id}",
    summary="Give an account settings of its own (they replace the workspace's)",
    responses=_INVALID,
)
def put_account_settings(
    account_id: IdPath, body: AutoReplyIn, caller: CallerDep, session: TxSessionDep
) -> AutoReplyOut:
    require_editor(caller)
    _account(session, caller.workspace_id, account_id)
    return _out(_save(session, caller.workspace_id, account_id, body), account_id)


@router.delete(
    "/accounts/{account_id}",
    status_code=204,
    summary="Remove an account's own settings (it goes back to the workspace's)",
)
def delete_account_settings(
    account_id: IdPath, caller: CallerDep, session: TxSessionDep
) -> Response:
    require_editor(caller)
    _account(session, caller.workspace_id, account_id)
    row = own_row(session, caller.workspace_id, account_id)
    if row is None:
        raise NotFound(f"channel account {account_id} has no settings of its own")
    session.delete(row)
    session.flush()
    return Response(status_code=204)
