"""SMS opt-out keywords as a routing step: a customer who texts STOP (or another of Twilio's
standard opt-out keywords, :data:`~socialdesk.services.continuation.SMS_OPT_OUT_KEYWORDS`)
withdraws every SMS consent they gave, so that no agent reply, auto-reply or queued message
goes to them by SMS any more (services.continuation enforces it).

Only a message that is the keyword and nothing else counts ("stop", " STOP ", not "stop
sending me the wrong bill"). Opt-in keywords (START, UNSTOP, YES) create no consent: they
are the customer writing to us again, which is what re-opens SMS for them anyway.

The step runs before assignment and auto-replies, so an auto-reply to the STOP itself is
already refused. It costs one query per batch (the batch's SMS messages) and nothing more
when none of them is an opt-out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from socialdesk.services.continuation import OptOut, opt_out_keyword, withdraw_on_opt_out
from socialdesk.store.models import Message

if TYPE_CHECKING:
    from socialdesk.pipeline.routing import RoutingContext

__all__ = ["SMS_PLATFORM", "sms_opt_out_step"]

SMS_PLATFORM = "sms"
_CHUNK = 500  # message ids per IN (...) list


def sms_opt_out_step(ctx: RoutingContext) -> None:
    """Routing step: withdraw the SMS consents of the batch's customers who texted an opt-out
    keyword, as of their latest such message."""
    ids = sorted(ctx.message_ids)
    latest: dict[int, OptOut] = {}
    for start in range(0, len(ids), _CHUNK):
        for message_id, contact_id, text, at in ctx.session.execute(
            select(Message.id, Message.contact_id, Message.text, Message.platform_time).where(
                Message.id.in_(ids[start : start + _CHUNK]),
                Message.platform == SMS_PLATFORM,
            )
        ):
            keyword = opt_out_keyword(text)
            if keyword is None or contact_id is None:
                continue
            known = latest.get(contact_id)
            if known is None or (at, message_id) > (known.at, known.message_id):
                latest[contact_id] = OptOut(at=at, message_id=message_id, keyword=keyword)
    if latest:
        withdraw_on_opt_out(ctx.session, ctx.workspace_id, latest)
