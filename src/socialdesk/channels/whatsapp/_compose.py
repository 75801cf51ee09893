"""From an outbound message to the body of a Cloud API send, and the account's templates.

- Free text: ``{"type": "text", "text": {"body": ...}}``.
- Quick-reply buttons (extra ``{"type": "quick_replies", "options": [...]}``): an interactive
  ``button`` message when there are at most 3 options of at most 20 characters and the text
  fits an interactive body (1,024 characters); otherwise the options become a numbered list
  under the text, so the customer can answer with a number.
- Templates (extra ``{"type": "template", "name", "language", "parameters"}``): a ``template``
  message whose body parameters are text parameters, in order.
- A reply to a customer's message carries ``context.message_id``.

The account's approved templates are a JSON list in its ``templates`` setting, e.g.
``[{"name": "order_update", "language": "en_US", "parameters": 2, "text": "Hi {{1}}, ..."}]``;
when the list is set, only templates on it are sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from socialdesk.channels.base import OutboundMessage, SendError

__all__ = [
    "MAX_BUTTONS",
    "MAX_BUTTON_TITLE",
    "MAX_TEXT",
    "Template",
    "approved_templates",
    "message_body",
]

MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_INTERACTIVE_BODY = 1024
MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class Template:
    """One approved message template of the WhatsApp Business Account."""

    name: str
    language: str
    parameters: int | None = None  # body parameters {{1}}..{{n}}; None: not checked
    text: str | None = None  # the body as approved, for agents choosing one

    def render(self, parameters: list[str]) -> str | None:
        if self.text is None:
            return None
        rendered = self.text
        for number, value in enumerate(parameters, start=1):
            rendered = rendered.replace("{{" + str(number) + "}}", value)
        return rendered


def approved_templates(settings: dict[str, Any]) -> list[Template]:
    """The ``templates`` setting of an account; ValueError says what is wrong with it."""
    raw = settings.get("templates")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ValueError(f"the templates setting is not JSON: {exc}") from exc
    if not isinstance(items, list):
        raise ValueError("the templates setting is a JSON list of {name, language} objects")
    templates: list[Template] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"template {number} is not an object")
        name, language = item.get("name"), item.get("language")
        if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
            raise ValueError(f"template {number} needs a name and a language code")
        count = item.get("parameters")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            raise ValueError(f"template {name}: parameters is the number of body parameters")
        text = item.get("text")
        templates.append(Template(name, language, count, text if isinstance(text, str) else None))
    return templates


def message_body(
    message: OutboundMessage, recipient: str, templates: list[Template]
) -> dict[str, Any]:
    """The Cloud API body (without ``messaging_product``) for ``message`` to ``recipient``."""
    body: dict[str, Any] = {"to": recipient}
    template = message.extra("template")
    if template is not None:
        body.update(_template(template, templates))
    else:
        body.update(_free_form(message.text, message.buttons))
    if message.reply_to_platform_id:
        body["context"] = {"message_id": message.reply_to_platform_id}
    return body


def _template(extra: dict[str, Any], templates: list[Template]) -> dict[str, Any]:
    name, language = extra.get("name"), extra.get("language")
    if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
        raise SendError("a template message needs a template name and a language", permanent=True)
    raw_parameters = extra.get("parameters") or []
    if not isinstance(raw_parameters, list):
        raise SendError("template parameters must be a list of texts", permanent=True)
    parameters = [str(p) for p in raw_parameters]
    if templates:
        known = next((t for t in templates if (t.name, t.language) == (name, language)), None)
        if known is None:
            offered = ", ".join(f"{t.name} ({t.language})" for t in templates)
            raise SendError(
                f"template {name} ({language}) is not among this WhatsApp account's approved "
                f"templates: {offered}",
                permanent=True,
            )
        if known.parameters is not None and known.parameters != len(parameters):
            raise SendError(
                f"template {name} takes {known.parameters} parameter(s), not {len(parameters)}",
                permanent=True,
            )
    payload: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        payload["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {"type": "template", "template": payload}


def _free_form(text: str, buttons: list[str]) -> dict[str, Any]:
    buttons = [b.strip() for b in buttons if b.strip()]
    if buttons and _fits_buttons(text, buttons):
        return {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": text},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": f"option-{n}", "title": title}}
                        for n, title in enumerate(buttons, start=1)
                    ]
                },
            },
        }
    if buttons:
        listed = "\n".join(f"{n}. {title}" for n, title in enumerate(buttons, start=1))
        text = f"{text}\n\n{listed}"
    if len(text) > MAX_TEXT:
        raise SendError(
            f"a WhatsApp text message holds at most {MAX_TEXT:,} characters, this one has "
            f"{len(text):,}",
            permanent=True,
        )
    return {"type": "text", "text": {"body": text}}


def _fits_buttons(text: str, buttons: list[str]) -> bool:
    titles = buttons
    return (
        len(titles) <= MAX_BUTTONS
        and all(0 < len(t) <= MAX_BUTTON_TITLE for t in titles)
        and len({t.casefold() for t in titles}) == len(titles)  # WhatsApp wants unique titles
        and len(text) <= MAX_INTERACTIVE_BODY
    )
