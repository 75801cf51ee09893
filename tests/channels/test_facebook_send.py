"""Sending on Facebook against the fake Graph API: comment replies, Messenger (with the
HUMAN_AGENT tag and quick replies), private replies to comments; Graph errors mapped to
retries and failures; and the 24-hour window checked before a reply is queued."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from meta_fake_server import (
    COMMENT_ID,
    PAGE_ID,
    PAGE_TOKEN,
    PSID,
    VERSION,
    FakeGraph,
    facebook_graph,
    graph_error,
)

from socialdesk.channels.base import AccountInfo, OutboundMessage, SendContext, SendError
from socialdesk.channels.meta import FacebookChannel, retry_after_seconds

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FakeGraph]:
    fake = facebook_graph().start()
    try:
        yield fake
    finally:
        fake.stop()


def page(url: str, *, token: str = PAGE_TOKEN, human_agent_tag: str = "no") -> AccountInfo:
    return AccountInfo(
        id=1,
        workspace_id=1,
        platform="facebook",
        handle="acmebroadband",
        external_id=PAGE_ID,
        settings={"api_base_url": url, "api_version": VERSION, "human_agent_tag": human_agent_tag},
        credentials={"app_secret": "s", "verify_token": "v", "access_token": token},
    )


def outbound(visibility: str, text: str = "We're on it!", **kwargs: object) -> OutboundMessage:
    values: dict = {
        "idempotency_key": "k1",
        "visibility": visibility,
        "text": text,
        "recipient_external_id": PSID,
        "recipient_handle": None,
        "reply_to_platform_id": COMMENT_ID if visibility == "public" else None,
    }
    values.update(kwargs)
    return OutboundMessage(**values)


# -- requests as Meta documents them -------------------------------------------------------------
def test_a_public_reply_is_a_comment_on_the_comment(server: FakeGraph) -> None:
    result = FacebookChannel().send(page(server.url), outbound("public"))

    [request] = server.requests
    assert (request.method, request.path) == ("POST", f"/{VERSION}/{COMMENT_ID}/comments")
    assert request.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert request.body == {"message": "We're on it!"}
    assert result.platform_message_id.startswith("1091623449621377_")


def test_a_private_message_uses_the_send_api_as_a_response(server: FakeGraph) -> None:
    result = FacebookChannel().send(page(server.url), outbound("private"))

    [request] = server.requests
    assert request.path == f"/{VERSION}/{PAGE_ID}/messages"
    assert request.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "We're on it!"},
    }
    assert result.platform_message_id.startswith("m_")


def test_the_human_agent_tag_goes_out_as_a_message_tag(server: FakeGraph) -> None:
    message = outbound("private", extras=({"type": "message_tag", "tag": "HUMAN_AGENT"},))

    FacebookChannel().send(page(server.url), message)

    [request] = server.requests
    assert request.body["messaging_type"] == "MESSAGE_TAG"
    assert request.body["tag"] == "HUMAN_AGENT"


def test_buttons_become_quick_replies_within_metas_limits(server: FakeGraph) -> None:
    options = ["Track my order", "Talk to a person about my broadband bill"] + [
        f"Option {n}" for n in range(20)
    ]
    message = outbound("private", extras=({"type": "quick_replies", "options": options},))

    FacebookChannel().send(page(server.url), message)

    quick = server.requests[0].body["message"]["quick_replies"]
    assert len(quick) == 13
    assert quick[0] == {
        "content_type": "text",
        "title": "Track my order",
        "payload": "Track my order",
    }
    assert quick[1]["title"] == "Talk to a person abo"  # 20 characters
    assert quick[1]["payload"] == "Talk to a person about my broadband bill"


def test_a_message_too_long_for_messenger_is_refused_before_calling(server: FakeGraph) -> None:
    with pytest.raises(SendError) as refused:
        FacebookChannel().send(page(server.url), outbound("private", text="x" * 2001))

    assert refused.value.permanent
    assert "2,000" in refused.value.reason
    assert server.requests == []


# -- Graph errors ---------------------------------------------------------------------------------
def test_429_with_retry_after_is_retried_after_that_many_seconds(server: FakeGraph) -> None:
    server.answer_next(
        429, graph_error("(#4) Application request limit reached", 4), {"retry-after": "90"}
    )

    with pytest.raises(SendError) as limited:
        FacebookChannel().send(page(server.url), outbound("private"))

    assert not limited.value.permanent
    assert limited.value.retry_after == 90
    assert "rate limit" in limited.value.reason


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80006])
def test_graph_rate_limit_codes_on_a_400_are_retried(server: FakeGraph, code: int) -> None:
    usage = json.dumps(
        {PAGE_ID: [{"type": "messenger", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    )
    server.answer_next(
        400,
        graph_error("Calls to this api have exceeded the rate limit.", code),
        {"x-business-use-case-usage": usage},
    )

    with pytest.raises(SendError) as limited:
        FacebookChannel().send(page(server.url), outbound("private"))

    assert not limited.value.permanent
    assert limited.value.retry_after == 300  # 5 minutes, from Meta's usage header
    assert f"#{code}" in limited.value.reason


def test_5xx_is_retried(server: FakeGraph) -> None:
    server.answer_next(503, graph_error("Service temporarily unavailable", 2))

    with pytest.raises(SendError) as outage:
        FacebookChannel().send(page(server.url), outbound("public"))

    assert not outage.value.permanent
    assert outage.value.retry_after is None


def test_an_error_meta_marks_transient_is_retried(server: FakeGraph) -> None:
    body = graph_error("An unexpected error has occurred. Please retry your request later.", 2)
    body["error"]["is_transient"] = True
    server.answer_next(500, body)

    with pytest.raises(SendError) as transient:
        FacebookChannel().send(page(server.url), outbound("public"))

    assert not transient.value.permanent


def test_outside_the_window_meta_refuses_permanently_with_its_words(server: FakeGraph) -> None:
    server.answer_next(
        400,
        graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278),
    )

    with pytest.raises(SendError) as refused:
        FacebookChannel().send(page(server.url), outbound("private"))

    assert refused.value.permanent
    assert refused.value.reason == (
        "Meta refused the private message: 400 (#10/2018278) (#10) This message is sent "
        "outside of allowed window."
    )


def test_a_bad_token_is_permanent_and_says_to_reconnect(server: FakeGraph) -> None:
    with pytest.raises(SendError) as refused:
        FacebookChannel().send(page(server.url, token="expired"), outbound("public"))

    assert refused.value.permanent
    assert "#190" in refused.value.reason
    assert "connect the account again" in refused.value.reason


def test_an_unreachable_graph_api_is_retried(server: FakeGraph) -> None:
    url = server.url
    server.stop()

    with pytest.raises(SendError) as unreachable:
        FacebookChannel(timeout=2).send(page(url), outbound("public"))

    assert not unreachable.value.permanent


def test_a_success_without_an_id_is_not_sent_again() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json={"success": True}))

    with pytest.raises(SendError) as odd:
        FacebookChannel(transport=transport).send(page("https://graph.test"), outbound("public"))

    assert odd.value.permanent


def test_the_base_url_and_version_are_configurable() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "c_1"})

    account = page("https://graph.proxy.test/")
    account.settings["api_version"] = "v21.0"
    FacebookChannel(transport=httpx.MockTransport(handler)).send(account, outbound("public"))

    assert str(seen[0].url) == f"https://graph.proxy.test/v21.0/{COMMENT_ID}/comments"


def test_retry_after_falls_back_to_the_worker_when_meta_says_nothing() -> None:
    assert retry_after_seconds(httpx.Headers({})) is None


# -- the send window ------------------------------------------------------------------------------
def context(*, private_ago: timedelta | None, public_ago: timedelta | None = None) -> SendContext:
    return SendContext(
        visibility="private",
        now=NOW,
        last_inbound_private_at=NOW - private_ago if private_ago is not None else None,
        last_inbound_public_at=NOW - public_ago if public_ago is not None else None,
    )


def test_within_24_hours_a_private_reply_is_allowed_as_is() -> None:
    decision = FacebookChannel().check_send(page("u"), context(private_ago=timedelta(hours=23)))

    assert decision.allowed and decision.extra is None


def test_after_24_hours_without_the_tag_the_agent_is_told_why() -> None:
    decision = FacebookChannel().check_send(page("u"), context(private_ago=timedelta(days=3)))

    assert not decision.allowed
    assert decision.reason is not None
    assert decision.reason.startswith(
        "The customer last wrote on Messenger 3 days ago; Messenger allows replies within 24 hours"
    )


def test_with_the_tag_allowed_up_to_7_days_it_goes_out_tagged() -> None:
    channel = FacebookChannel()
    tagged = channel.check_send(
        page("u", human_agent_tag="yes"), context(private_ago=timedelta(days=6))
    )
    too_late = channel.check_send(
        page("u", human_agent_tag="yes"), context(private_ago=timedelta(days=8))
    )

    assert tagged.allowed
    assert tagged.extra == {"type": "message_tag", "tag": "HUMAN_AGENT"}
    assert not too_late.allowed
    assert "8 days ago" in (too_late.reason or "")


def test_a_recent_comment_allows_one_private_reply_to_it() -> None:
    decision = FacebookChannel().check_send(
        page("u"), context(private_ago=None, public_ago=timedelta(days=2))
    )

    assert decision.allowed
    assert decision.extra == {"type": "private_reply"}


def test_a_comment_older_than_7_days_allows_no_private_reply() -> None:
    decision = FacebookChannel().check_send(
        page("u"), context(private_ago=None, public_ago=timedelta(days=9))
    )

    assert not decision.allowed
    assert "never written" in (decision.reason or "")
    assert "last commented 9 days ago" in (decision.reason or "")


def test_public_replies_have_no_window() -> None:
    decision = FacebookChannel().check_send(
        page("u"),
        SendContext(visibility="public", now=NOW, last_inbound_private_at=None),
    )

    assert decision.allowed
