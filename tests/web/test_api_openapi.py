"""The OpenAPI document is the API's documentation: it must state what callers rely on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_every_v1_route_is_documented(openapi: dict[str, Any]) -> None:
    paths = {p for p in openapi["paths"] if p.startswith("/api/v1")}

    assert paths == {
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/tags",
        "/api/v1/conversations/{conversation_id}/notes",
        "/api/v1/conversations/{conversation_id}/replies",
        "/api/v1/conversations/{conversation_id}/continue",
        "/api/v1/conversations/{conversation_id}/continuation/return",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/{contact_id}/tags",
        "/api/v1/contacts/{contact_id}/notes",
        "/api/v1/contacts/{contact_id}/merge",
        "/api/v1/contacts/{contact_id}/consents",
        "/api/v1/contacts/{contact_id}/consents/{consent_id}/withdraw",
        "/api/v1/channel-accounts",
        "/api/v1/channel-accounts/{account_id}",
        "/api/v1/sandbox/{account_id}/posts",
        "/api/v1/sandbox/{account_id}/dms",
        "/api/v1/sandbox/{account_id}/deliveries",
        "/api/v1/rules",
        "/api/v1/rules/reorder",
        "/api/v1/rules/try",
        "/api/v1/rules/{rule_id}",
        "/api/v1/rules/{rule_id}/enable",
        "/api/v1/rules/{rule_id}/disable",
        "/api/v1/rules/{rule_id}/try",
        "/api/v1/autoreply",
        "/api/v1/autoreply/accounts/{account_id}",
        "/api/v1/calendars",
        "/api/v1/calendars/{calendar_id}",
        "/api/v1/sla-policies",
        "/api/v1/sla-policies/{policy_id}",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/webhooks/{webhook_id}/test",
        "/api/v1/agents",
        "/api/v1/agents/{agent_id}",
        "/api/v1/teams",
        "/api/v1/teams/{team_id}",
    }


def test_reply_visibility_is_required_and_has_no_default(openapi: dict[str, Any]) -> None:
    reply = openapi["components"]["schemas"]["ReplyCreate"]

    assert "visibility" in reply["required"]
    assert "default" not in reply["properties"]["visibility"]
    assert reply["additionalProperties"] is False


def test_every_request_field_is_described(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    request_models = {
        "ConversationPatch",
        "TagChange",
        "NoteCreate",
        "ReplyCreate",
        "MergeRequest",
        "ChannelAccountCreate",
        "SandboxMessageCreate",
        "SandboxSender",
        "CalendarIn",
        "PolicyIn",
        "TargetIn",
        "WebhookIn",
        "AutoReplyIn",
        "BusinessHoursIn",
    }
    undocumented = [
        f"{model}.{name}"
        for model in request_models
        for name, field in schemas[model]["properties"].items()
        if not field.get("description")
    ]

    assert undocumented == []


def test_errors_are_documented_as_problem_json(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"]["/api/v1/conversations/{conversation_id}"]["get"]["responses"]

    assert "application/problem+json" in responses["404"]["content"]
    assert "application/problem+json" in responses["401"]["content"]
