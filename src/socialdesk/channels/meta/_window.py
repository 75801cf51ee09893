"""When a Page or Instagram account may write privately to a customer (Meta's messaging policy).

What socialdesk enforces before a private message is queued:

* **Standard messaging window**: a message within 24 hours of the customer's last private
  message (``messaging_type: RESPONSE``).
* **Human agent tag**: from 24 hours to 7 days after it, only when the account's
  ``human_agent_tag`` setting is ``yes`` (the app must have Meta's Human Agent permission);
  the message then carries ``messaging_type: MESSAGE_TAG`` and ``tag: HUMAN_AGENT``.
* **Private reply to a comment**: outside those windows, a customer whose latest comment is
  less than 7 days old and newer than their last private message may get one private message
  in answer to it (``recipient: {"comment_id": ...}``). Meta allows one per comment;
  socialdesk answers the customer's latest comment and, should it already have had its
  private reply, refuses at send time (the message fails with the reason). A private reply
  does not open the 24-hour window: that opens when the customer writes back.

Public replies (comments) have no window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from socialdesk.channels.base import SendContext, SendDecision
from socialdesk.domain.types import Visibility

__all__ = [
    "HUMAN_AGENT_WINDOW",
    "PRIVATE_REPLY_EXTRA",
    "PRIVATE_REPLY_WINDOW",
    "STANDARD_WINDOW",
    "decide",
    "human_agent_tag_allowed",
    "since",
]

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
HUMAN_AGENT_EXTRA = {"type": "message_tag", "tag": "HUMAN_AGENT"}
# Asks the connector to answer the customer's latest comment privately.
PRIVATE_REPLY_EXTRA = {"type": "private_reply"}
_YES = {"yes", "true", "1", "on"}


def human_agent_tag_allowed(setting: object) -> bool:
    return isinstance(setting, str) and setting.strip().lower() in _YES


def since(then: datetime, now: datetime) -> str:
    """``3 days ago``, ``26 hours ago``, ``40 minutes ago``: how the agent reads an age."""
    age = max(now - then, timedelta(0))
    if age >= timedelta(days=2):
        days = age.days
        return f"{days} days ago"
    if age >= timedelta(hours=2):
        return f"{int(age.total_seconds() // 3600)} hours ago"
    minutes = int(age.total_seconds() // 60)
    return "a minute ago" if minutes <= 1 else f"{minutes} minutes ago"


def decide(app: str, context: SendContext, *, human_agent_tag: bool) -> SendDecision:
    """Whether a message may be sent now on ``app`` ("Messenger", "Instagram")."""
    if context.visibility != Visibility.PRIVATE:
        return SendDecision.allow()
    now = context.now
    last_private = context.last_inbound_private_at
    last_public = context.last_inbound_public_at
    if last_private is not None and now - last_private <= STANDARD_WINDOW:
        return SendDecision.allow()
    if last_private is not None and human_agent_tag and now - last_private <= HUMAN_AGENT_WINDOW:
        return SendDecision.allow(dict(HUMAN_AGENT_EXTRA))
    # A comment newer than the customer's last private message may still have its private
    # reply; an older one has usually had it already (that is how most private threads begin).
    commented_since = last_private is None or (
        last_public is not None and last_public > last_private
    )
    if last_public is not None and commented_since and now - last_public <= PRIVATE_REPLY_WINDOW:
        return SendDecision.allow(dict(PRIVATE_REPLY_EXTRA))
    rule = (
        f"{app} allows replies within 24 hours of the customer's last message"
        + (
            " (7 days with the human agent tag)"
            if human_agent_tag
            else " (7 days with the human agent tag, which this account does not use)"
        )
        + ", and one private reply to a comment within 7 days of it."
    )
    if last_private is not None:
        said = f"The customer last wrote on {app} {since(last_private, now)}"
    else:
        said = f"The customer has never written to this account on {app}"
    if last_public is not None:
        said += f" and last commented {since(last_public, now)}"
    return SendDecision.refuse(
        f"{said}; {rule} Reply publicly, or wait until the customer writes again."
    )
