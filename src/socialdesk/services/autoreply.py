"""Auto-responders: out-of-hours acknowledgements, expected-wait acknowledgements, welcome
messages with quick-reply buttons, and the auto-replies rules ask for.

Every auto-reply goes through the normal outbox (:func:`services.replies.reply`) with
``Message.is_auto = True`` and ``author_kind = "system"``: it is delivered, retried and shown
like any reply, marked as automatic in the timeline, and never sets
``Conversation.first_response_at`` nor counts in the first-response report
(analytics/frt.py only counts human replies).

Rules of the road:

* nothing is sent for spam (``outcome.spam``) or to resolved conversations;
* at most one acknowledgement (out-of-hours, in-hours or welcome) per conversation per
  *opening*: after a conversation is resolved and the customer writes again, it may get one
  more; a rule's auto-reply is likewise sent once per opening;
* settings live in :class:`~socialdesk.store.models.AutoReplySettings`, per workspace, with
  optional per-account rows that replace the workspace's; without settings only the rules'
  auto-replies are sent;
* business hours come from the stored business calendar the settings name
  (``calendar_id``, the SLA calendars of services/calendars.py), else the calendar of the
  workspace's default SLA policy, else the settings' own ``business_hours``
  (domain/business_hours.py), else the workspace is treated as always open;
* an acknowledgement answers a public post (publicly, where everyone sees it) only when the
  settings say so (``public_posts``); otherwise only private messages are acknowledged.
  A rule's auto-reply goes wherever its rule matched: the rule is that choice.
"""

from __future__ import annotations

import logging
import math
import statistics
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.errors import InvalidInput
from socialdesk.domain.platforms import render_canned
from socialdesk.domain.types import ConversationStatus, Direction, EventType
from socialdesk.services.assignment import candidates
from socialdesk.services.calendars import calendar_for
from socialdesk.services.continuation import ConsentWithdrawn
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.store.models import (
    AutoReplySettings,
    ChannelAccount,
    Contact,
    Conversation,
    Event,
    Message,
    SlaPolicy,
)
from socialdesk.store.types import utcnow

if TYPE_CHECKING:
    from socialdesk.pipeline.routing import RoutingContext

__all__ = [
    "ACK_KINDS",
    "DEFAULT_TEXTS",
    "QUICK_REPLY_PLATFORMS",
    "autoreply_step",
    "business_calendar",
    "expected_wait",
    "format_opening",
    "format_wait",
    "get_settings",
    "save_settings",
]

log = logging.getLogger(__name__)

# Kinds of auto-reply, recorded in the message.out event's data as "auto".
OUT_OF_HOURS, IN_HOURS, WELCOME, RULE = "out_of_hours", "in_hours", "welcome", "rule"
ACK_KINDS = frozenset({OUT_OF_HOURS, IN_HOURS, WELCOME})

# Platforms whose private messages can carry quick-reply buttons (Messenger and Instagram
# quick replies, WhatsApp reply buttons, Telegram reply keyboards, X DM quick replies).
QUICK_REPLY_PLATFORMS = frozenset(
    {"facebook", "instagram", "whatsapp", "telegram", "twitter", "sandbox", "webchat"}
)
MAX_BUTTONS = 10
MAX_BUTTON_CHARS = 20  # Messenger's limit for a quick reply's title

DEFAULT_TEXTS = {
    OUT_OF_HOURS: (
        "Hi {{contact.name}}, thanks for your message. We're closed right now and back "
        "{{next_opening}}; we'll answer you then."
    ),
    IN_HOURS: (
        "Hi {{contact.name}}, thanks for reaching out! An agent will be with you in "
        "{{expected_wait}}."
    ),
    WELCOME: "Hi {{contact.name}}, welcome to {{brand.name}}! What can we help you with?",
}
DEFAULT_BUTTONS = ["Billing", "Technical support", "Something else"]

# Expected wait: the recent median first response time is taken over this window, and
# stands at this value when there is no history yet.
FRT_WINDOW = timedelta(days=7)
DEFAULT_FRT = timedelta(minutes=15)


# --- settings --------------------------------------------------------------------------------


def get_settings(
    session: Session, workspace_id: int, channel_account_id: int | None = None
) -> AutoReplySettings | None:
    """The account's own settings when it has some, else the workspace's."""
    rows = list(
        session.scalars(
            select(AutoReplySettings).where(
                AutoReplySettings.workspace_id == workspace_id,
                (AutoReplySettings.channel_account_id == channel_account_id)
                | AutoReplySettings.channel_account_id.is_(None),
            )
        )
    )
    return _settings_for(rows, channel_account_id)


def _settings_for(
    rows: list[AutoReplySettings], channel_account_id: int | None
) -> AutoReplySettings | None:
    """Among a workspace's settings rows, the account's own, else the workspace's."""
    own = [
        r
        for r in rows
        if channel_account_id is not None and r.channel_account_id == channel_account_id
    ]
    general = [r for r in rows if r.channel_account_id is None]
    found = own or general
    return found[0] if found else None


_TEXT_FIELDS = ("out_of_hours_text", "in_hours_text", "welcome_text")
_FLAG_FIELDS = (
    "enabled",
    "out_of_hours_enabled",
    "in_hours_enabled",
    "welcome_enabled",
    "public_posts",
)


def save_settings(
    session: Session,
    workspace_id: int,
    *,
    channel_account_id: int | None = None,
    **values: Any,
) -> AutoReplySettings:
    """Create or change the settings of the workspace (or of one account); validated first."""
    allowed = {*_TEXT_FIELDS, *_FLAG_FIELDS, "welcome_buttons", "business_hours", "calendar_id"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InvalidInput(f"unknown auto-reply setting {unknown[0]!r}")
    for name in _TEXT_FIELDS:
        if name in values:
            text = str(values[name] or "").strip()
            if len(text) > 2000:
                raise InvalidInput(f"{name} may hold at most 2,000 characters")
            values[name] = text
    for name in _FLAG_FIELDS:
        if name in values and not isinstance(values[name], bool):
            raise InvalidInput(f"{name} must be true or false")
    if "welcome_buttons" in values:
        buttons = [str(b).strip() for b in values["welcome_buttons"] or [] if str(b).strip()]
        if len(buttons) > MAX_BUTTONS:
            raise InvalidInput(f"at most {MAX_BUTTONS} quick-reply buttons")
        if any(len(b) > MAX_BUTTON_CHARS for b in buttons):
            raise InvalidInput(f"a quick-reply button holds at most {MAX_BUTTON_CHARS} characters")
        values["welcome_buttons"] = buttons
    if values.get("business_hours"):
        _settings_calendar(values["business_hours"])  # raises InvalidInput when wrong
    if values.get("calendar_id") is not None:
        calendar_for(session, int(values["calendar_id"]))
    if channel_account_id is not None:
        account = session.get(ChannelAccount, channel_account_id)
        if account is None or account.workspace_id != workspace_id:
            raise InvalidInput(f"channel account {channel_account_id} is not in this workspace")
    row = session.scalar(
        select(AutoReplySettings).where(
            AutoReplySettings.workspace_id == workspace_id,
            AutoReplySettings.channel_account_id.is_(None)
            if channel_account_id is None
            else AutoReplySettings.channel_account_id == channel_account_id,
        )
    )
    if row is None:
        row = AutoReplySettings(
            workspace_id=workspace_id,
            channel_account_id=channel_account_id,
            enabled=True,
            out_of_hours_enabled=True,
            out_of_hours_text="",
            in_hours_enabled=False,
            in_hours_text="",
            welcome_enabled=False,
            welcome_text="",
            welcome_buttons=[],
            public_posts=False,
            business_hours={},
        )
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def _settings_calendar(spec: dict[str, Any]) -> BusinessCalendar:
    if not isinstance(spec, dict):
        raise InvalidInput("business_hours must be an object with timezone and hours")
    hours = spec.get("hours") or {}
    if not isinstance(hours, dict):
        raise InvalidInput('business_hours.hours must look like {"mon": [["09:00", "17:00"]]}')
    try:
        schedule = {day: [(str(a), str(b)) for a, b in spans] for day, spans in hours.items()}
    except (TypeError, ValueError):
        raise InvalidInput("each opening interval must be a [start, end] pair") from None
    return BusinessCalendar.weekly(
        str(spec.get("timezone") or "UTC"),
        schedule,
        holiday_country=spec.get("holiday_country") or None,
    )


def business_calendar(session: Session, settings: AutoReplySettings | None) -> BusinessCalendar:
    """Which business hours apply (see the module docstring for the order)."""
    if settings is not None and settings.calendar_id is not None:
        return calendar_for(session, settings.calendar_id)
    if settings is not None:
        default_calendar = session.scalar(
            select(SlaPolicy.calendar_id).where(
                SlaPolicy.workspace_id == settings.workspace_id,
                SlaPolicy.is_default.is_(True),
                SlaPolicy.calendar_id.is_not(None),
            )
        )
        if default_calendar is not None:
            return calendar_for(session, default_calendar)
        if settings.business_hours:
            return _settings_calendar(settings.business_hours)
    return BusinessCalendar(always_open=True)


# --- texts -----------------------------------------------------------------------------------


def format_opening(at: datetime, calendar: BusinessCalendar, now: datetime) -> str:
    """ "at 09:00 today", "tomorrow at 09:00", "on Monday 2 March at 09:00", in the
    calendar's time zone (named)."""
    local, today = at.astimezone(calendar.zone), now.astimezone(calendar.zone).date()
    clock = f"{local:%H:%M} ({calendar.timezone})"
    if local.date() == today:
        return f"today at {clock}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {clock}"
    return f"on {local:%A} {local.day} {local:%B} at {clock}"


def format_wait(wait: timedelta) -> str:
    """Rounded up to 5 minutes below two hours, to the half hour above."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    if minutes < 120:
        step = max(5, math.ceil(minutes / 5) * 5)
        return f"about {step} minutes"
    half_hours = math.ceil(minutes / 30) / 2
    text = f"{half_hours:g}"
    return f"about {text} hours"


def _median_first_response(session: Session, workspace_id: int, now: datetime) -> timedelta:
    rows = session.execute(
        select(Conversation.first_inbound_at, Conversation.first_response_at).where(
            Conversation.workspace_id == workspace_id,
            Conversation.first_response_at.is_not(None),
            Conversation.first_response_at >= now - FRT_WINDOW,
        )
    ).all()
    waits = [
        (answered - started).total_seconds()
        for started, answered in rows
        if started is not None and answered is not None and answered >= started
    ]
    if not waits:
        return DEFAULT_FRT
    return timedelta(seconds=float(statistics.median(waits)))


def expected_wait(session: Session, conv: Conversation, now: datetime) -> timedelta:
    """How long until an agent answers, from the live queue::

        expected wait = median first response time (last 7 days)
                        * (conversations ahead + 1) / max(agents available, 1)

    *conversations ahead*: open, unassigned, unanswered conversations of the same team (of
    the workspace without a team) that have waited longer; *agents available*: online team
    members inside their shift (if they have shifts). A conversation already assigned has
    nobody ahead of it: its wait is the median itself.
    """
    median = _median_first_response(session, conv.workspace_id, now)
    if conv.assignee_id is not None:
        return median
    waited_since = conv.first_inbound_at or conv.created_at
    ahead_query = select(func.count()).where(
        Conversation.workspace_id == conv.workspace_id,
        Conversation.status == ConversationStatus.OPEN.value,
        Conversation.assignee_id.is_(None),
        Conversation.first_response_at.is_(None),
        Conversation.first_inbound_at < waited_since,
        Conversation.id != conv.id,
    )
    if conv.team_id is not None:
        ahead_query = ahead_query.where(Conversation.team_id == conv.team_id)
    ahead = session.scalar(ahead_query) or 0
    agents = sum(
        1
        for c in candidates(session, conv.workspace_id, conv.team_id, now)
        if c.on_duty is None or c.on_duty
    )
    return median * (ahead + 1) / max(agents, 1)


# --- the routing step ------------------------------------------------------------------------


def _sent_this_opening(session: Session, conv: Conversation) -> set[str]:
    """Auto-reply kinds already sent since the conversation last (re)opened."""
    query = select(Event.data).where(
        Event.conversation_id == conv.id,
        Event.type == EventType.MESSAGE_OUT.value,
    )
    if conv.resolved_at is not None:
        query = query.where(Event.occurred_at > conv.resolved_at)
    kinds = set()
    for data in session.scalars(query):
        if isinstance(data, dict) and data.get("auto"):
            kinds.add(str(data["auto"]))
    return kinds


def _variables(
    session: Session, conv: Conversation, account: ChannelAccount, extra: dict[str, str]
) -> dict[str, str]:
    contact = session.get(Contact, conv.contact_id)
    name = (contact.name if contact is not None else None) or ""
    return {
        "contact.name": name.lstrip("@") or "there",
        "brand.name": account.name,
        **extra,
    }


def _send(
    session: Session,
    conv: Conversation,
    *,
    text: str,
    visibility: str,
    kind: str,
    trigger_id: int,
    extras: list[dict[str, Any]] | None = None,
) -> Message | None:
    try:
        return reply(
            session,
            conv.workspace_id,
            conv.id,
            Actor.system(),
            text=text,
            visibility=visibility,
            idempotency_key=f"auto:{kind}:{conv.id}:{trigger_id}",
            extras=extras or [],
            is_auto=True,
            auto_kind=kind,
        )
    except ConsentWithdrawn as refused:  # skipped silently: raising would undo the ingest
        log.info("auto-reply %s to conversation %s skipped: %s", kind, conv.id, refused.detail)
        return None


_TRIGGER_CHUNK = 500  # message ids per IN (...) list


def _triggers(session: Session, message_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Per conversation, the latest inbound message of the batch: (its id, its visibility)."""
    best: dict[int, tuple[Any, int, str]] = {}
    ids = sorted(message_ids)
    for start in range(0, len(ids), _TRIGGER_CHUNK):
        for conv_id, message_id, visibility, at in session.execute(
            select(
                Message.conversation_id, Message.id, Message.visibility, Message.platform_time
            ).where(
                Message.id.in_(ids[start : start + _TRIGGER_CHUNK]),
                Message.direction == Direction.IN.value,
            )
        ):
            if conv_id is None:
                continue
            known = best.get(conv_id)
            if known is None or (at, message_id) > (known[0], known[1]):
                best[conv_id] = (at, message_id, visibility)
    return {conv_id: (m, v) for conv_id, (_at, m, v) in best.items()}


def autoreply_step(ctx: RoutingContext) -> None:
    """Routing step (the last one): send the auto-replies of this batch's conversations.

    The workspace's settings and the batch's triggering messages are read once per batch; a
    batch with no rule reply and no enabled settings costs one query."""
    session = ctx.session
    rule_texts = {
        conv_id: text
        for conv_id, outcome in ctx.outcomes.items()
        if not outcome.spam and (text := (outcome.auto_reply or "").strip())
    }
    all_settings = list(
        session.scalars(
            select(AutoReplySettings).where(AutoReplySettings.workspace_id == ctx.workspace_id)
        )
    )
    if not rule_texts and not any(row.enabled for row in all_settings):
        return
    triggers = _triggers(session, ctx.message_ids)
    for conversation_id in ctx.conversation_ids:
        outcome = ctx.outcomes.get(conversation_id)
        if outcome is not None and outcome.spam:
            continue
        trigger = triggers.get(conversation_id)
        if trigger is None:
            continue
        conv = session.get(Conversation, conversation_id)
        if conv is None or conv.status == ConversationStatus.RESOLVED:
            continue
        settings = _settings_for(all_settings, conv.channel_account_id)
        rule_text = rule_texts.get(conversation_id, "")
        if not rule_text and (settings is None or not settings.enabled):
            continue
        trigger_id, visibility = trigger
        account = session.get(ChannelAccount, conv.channel_account_id)
        if account is None:
            continue
        sent = _sent_this_opening(session, conv)
        if rule_text and RULE not in sent:
            _send(
                session,
                conv,
                text=render_canned(rule_text, _variables(session, conv, account, {})),
                visibility=visibility,
                kind=RULE,
                trigger_id=trigger_id,
            )
        if settings is None or not settings.enabled or sent & ACK_KINDS:
            continue
        if visibility == "public" and not settings.public_posts:
            continue  # acknowledgements answer public posts only when chosen
        _acknowledge(ctx, conv, account, settings, trigger_id=trigger_id, visibility=visibility)


def _acknowledge(
    ctx: RoutingContext,
    conv: Conversation,
    account: ChannelAccount,
    settings: AutoReplySettings,
    *,
    trigger_id: int,
    visibility: str,
) -> None:
    session, now = ctx.session, ctx.now
    calendar = business_calendar(session, settings)
    if not calendar.is_open(now):
        if settings.out_of_hours_enabled:
            opening = format_opening(calendar.next_open(now), calendar, now)
            variables = _variables(session, conv, account, {"next_opening": opening})
            text = settings.out_of_hours_text or DEFAULT_TEXTS[OUT_OF_HOURS]
            _send(
                session,
                conv,
                text=render_canned(text, variables),
                visibility=visibility,
                kind=OUT_OF_HOURS,
                trigger_id=trigger_id,
            )
        return
    new_private = conv.id in ctx.new_conversation_ids and visibility == "private"
    if settings.welcome_enabled and new_private and account.platform in QUICK_REPLY_PLATFORMS:
        text = settings.welcome_text or DEFAULT_TEXTS[WELCOME]
        buttons = list(settings.welcome_buttons or DEFAULT_BUTTONS)
        _send(
            session,
            conv,
            text=render_canned(text, _variables(session, conv, account, {})),
            visibility=visibility,
            kind=WELCOME,
            trigger_id=trigger_id,
            extras=[{"type": "quick_replies", "options": buttons}],
        )
        return
    if settings.in_hours_enabled:
        wait = format_wait(expected_wait(session, conv, now))
        variables = _variables(session, conv, account, {"expected_wait": wait})
        text = settings.in_hours_text or DEFAULT_TEXTS[IN_HOURS]
        _send(
            session,
            conv,
            text=render_canned(text, variables),
            visibility=visibility,
            kind=IN_HOURS,
            trigger_id=trigger_id,
        )
