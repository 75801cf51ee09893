"""Reddit and YouTube: polled comments in, replies out as comments, against local servers that
speak the documented APIs (OAuth refresh-token grants, listings / comment threads, comment
creation), through the product's poll chain, ingest job, REST API and outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from desk_kit import acme_agent, connect
from fastapi.testclient import TestClient
from polled_fake_servers import FakeReddit, FakeYouTube
from sqlalchemy import select, update

from socialdesk.bootstrap import App
from socialdesk.channels.reddit import CONNECTION as REDDIT
from socialdesk.channels.youtube import CONNECTION as YOUTUBE
from socialdesk.pipeline.polling import schedule_poll
from socialdesk.store.models import Conversation, Job, Message
from socialdesk.store.types import utcnow
from socialdesk.web.app import create_app

API = "/api/v1"
CHANNEL_ID = "UCacmeChannel0000000000"
T0 = 1_764_100_000  # 2025-11-25, seconds since the epoch


@dataclass
class Desk:
    app: App
    client: TestClient
    account_id: int
    token: str
    polls: int = 0

    def poll_now(self) -> None:
        # One poll job per account and second: each forced poll takes a second of its own.
        self.polls += 1
        with self.app.db.session() as session:
            schedule_poll(session, self.account_id, utcnow() - timedelta(seconds=self.polls))
        self.app.run_jobs_until_idle()

    def messages(self) -> list[Message]:
        with self.app.db.read_session() as session:
            return list(
                session.scalars(
                    select(Message)
                    .where(Message.channel_account_id == self.account_id)
                    .order_by(Message.platform_time, Message.id)
                )
            )

    def conversations(self) -> list[Conversation]:
        with self.app.db.read_session() as session:
            return list(session.scalars(select(Conversation).order_by(Conversation.id)))

    def reply(self, conversation_id: int, text: str, visibility: str = "public") -> Any:
        return self.client.post(
            f"{API}/conversations/{conversation_id}/replies",
            json={"text": text, "visibility": visibility},
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def make_delivery_due(self) -> None:
        with self.app.db.session() as session:
            session.execute(
                update(Job).where(Job.kind == "message.deliver").values(run_at=utcnow())
            )
        self.app.run_jobs_until_idle()

    def delivery_job(self) -> Job:
        with self.app.db.read_session() as session:
            job = session.scalar(select(Job).where(Job.kind == "message.deliver"))
            assert job is not None
            return job


def _desk(app: App, spec: Any, values: dict[str, str]) -> Iterator[Desk]:
    workspace_id, _, token = acme_agent(app)
    account_id = connect(app, workspace_id, spec, name="Acme", values=values)
    with TestClient(create_app(app, run_workers=False)) as client:
        yield Desk(app=app, client=client, account_id=account_id, token=token)


# -- Reddit -----------------------------------------------------------------------------------


@pytest.fixture
def reddit_server() -> Iterator[FakeReddit]:
    server = FakeReddit(client_id="app-id", client_secret="app-secret", refresh_token="rt-1")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def reddit(app: App, reddit_server: FakeReddit) -> Iterator[Desk]:
    yield from _desk(
        app,
        REDDIT,
        {
            "handle": "acmecare",
            "subreddits": "r/Acme, acmehelp",
            "client_id": "app-id",
            "client_secret": "app-secret",
            "refresh_token": "rt-1",
            "api_base_url": reddit_server.url,
            "auth_base_url": reddit_server.url,
        },
    )


def _thing(kind: str, name: str, author: str, at: int, **data: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "data": {
            "name": name,
            "id": name[3:],
            "author": author,
            "author_fullname": f"t2_{author}",
            "created_utc": float(at),
            "subreddit": "acme",
            "permalink": f"/r/acme/comments/{name[3:]}/",
            **data,
        },
    }


def _customer_thread(server: FakeReddit) -> None:
    server.things["acme"] = [
        _thing(
            "t3", "t3_p1", "dana", T0, title="Order never arrived", selftext="Ordered 2 weeks ago"
        ),
        _thing(
            "t1", "t1_c1", "acmecare", T0 + 60, body="Sorry Dana, looking now", parent_id="t3_p1"
        ),
        _thing("t1", "t1_c2", "dana", T0 + 120, body="Thanks, order 4411", parent_id="t1_c1"),
    ]


def test_reddit_posts_and_comments_are_polled_into_one_conversation(
    reddit: Desk, reddit_server: FakeReddit
) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    messages = reddit.messages()
    assert [(m.platform_message_id, m.direction, m.visibility) for m in messages] == [
        ("t3_p1", "in", "public"),
        ("t1_c1", "out", "public"),
        ("t1_c2", "in", "public"),
    ]
    assert messages[0].text == "Order never arrived\n\nOrdered 2 weeks ago"
    assert len({m.conversation_id for m in messages}) == 1
    # Both subreddits, both listings, with the documented parameters and a User-Agent.
    listings = [r for r in reddit_server.requests if r.method == "GET"]
    assert {r.path for r in listings} >= {
        "/r/Acme/comments",
        "/r/Acme/new",
        "/r/acmehelp/comments",
        "/r/acmehelp/new",
    }
    assert all(
        r.query["limit"] == "100" and "socialdesk" in r.headers["user-agent"] for r in listings
    )


def test_reddit_items_seen_before_are_not_stored_again_and_new_ones_are(
    reddit: Desk, reddit_server: FakeReddit
) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    reddit.poll_now()
    assert len(reddit.messages()) == 3
    reddit_server.things["acme"].append(
        _thing("t1", "t1_c3", "dana", T0 + 120, body="Any news?", parent_id="t1_c1")
    )
    reddit.poll_now()
    assert [m.platform_message_id for m in reddit.messages()][-1] == "t1_c3"
    assert len(reddit.messages()) == 4
    # One refresh-token grant served every poll: the access token is reused until it expires.
    assert len(reddit_server.issued) == 1


def test_reddit_reply_through_the_api_posts_exactly_one_comment(
    reddit: Desk, reddit_server: FakeReddit
) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    conversation_id = reddit.conversations()[0].id
    answer = reddit.reply(conversation_id, "Found it: it ships today.")
    assert answer.status_code == 202, answer.text
    reddit.app.run_jobs_until_idle()
    (call,) = reddit_server.calls("POST", "/api/comment")
    assert call.body == {
        "thing_id": "t1_c2",
        "text": "Found it: it ships today.",
        "api_type": "json",
    }
    assert call.headers["authorization"] == f"Bearer {reddit_server.issued[-1]}"
    sent = reddit.messages()[-1]
    assert sent.delivery_state == "sent" and sent.platform_message_id.startswith("t1_brand")


def test_a_private_reddit_reply_is_refused_before_it_is_queued(
    reddit: Desk, reddit_server: FakeReddit
) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    answer = reddit.reply(reddit.conversations()[0].id, "Please DM me", visibility="private")
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "public comment" in answer.json()["detail"]
    assert len(reddit.messages()) == 3


def test_reddit_ratelimit_in_the_answer_is_retried_later_and_sent_once(
    reddit: Desk, reddit_server: FakeReddit
) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    reddit_server.answer_next(
        200,
        {
            "json": {
                "errors": [
                    [
                        "RATELIMIT",
                        "you are doing that too much. try again in 1 minute.",
                        "ratelimit",
                    ]
                ]
            }
        },
    )
    reddit.reply(reddit.conversations()[0].id, "On it")
    reddit.app.run_jobs_until_idle()
    job = reddit.delivery_job()
    assert job.status == "queued" and job.run_at > utcnow() + timedelta(seconds=30)
    assert reddit.messages()[-1].delivery_state == "queued"
    reddit.make_delivery_due()
    assert len(reddit_server.calls("POST", "/api/comment")) == 2
    assert reddit.messages()[-1].delivery_state == "sent"


def test_a_reddit_refusal_is_shown_on_the_message(reddit: Desk, reddit_server: FakeReddit) -> None:
    _customer_thread(reddit_server)
    reddit.poll_now()
    reddit_server.answer_next(403, {"message": "Forbidden", "reason": "this thread is archived"})
    reddit.reply(reddit.conversations()[0].id, "On it")
    reddit.app.run_jobs_until_idle()
    failed = reddit.messages()[-1]
    assert failed.delivery_state == "failed"
    assert "Reddit refused the comment: 403" in (failed.delivery_error or "")


# -- YouTube ----------------------------------------------------------------------------------


@pytest.fixture
def youtube_server() -> Iterator[FakeYouTube]:
    server = FakeYouTube(
        client_id="gid", client_secret="gsecret", refresh_token="1//rt", channel_id=CHANNEL_ID
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def youtube(app: App, youtube_server: FakeYouTube) -> Iterator[Desk]:
    yield from _desk(
        app,
        YOUTUBE,
        {
            "handle": "acme",
            "external_id": CHANNEL_ID,
            "client_id": "gid",
            "client_secret": "gsecret",
            "refresh_token": "1//rt",
            "api_base_url": youtube_server.url,
            "token_url": f"{youtube_server.url}/token",
        },
    )


def _comment(
    cid: str, author: str, channel: str, at: str, text: str, parent: str | None = None
) -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "videoId": "vid123",
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": author,
        "authorChannelUrl": f"http://www.youtube.com/@{author}",
        "authorChannelId": {"value": channel},
        "publishedAt": at,
        "updatedAt": at,
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "id": cid, "snippet": snippet}


def _video_thread(server: FakeYouTube) -> None:
    top = _comment("Ugx1", "eli", "UCeli", "2026-11-25T10:00:00Z", "The update broke my app")
    server.threads = [
        {
            "kind": "youtube#commentThread",
            "id": "Ugx1",
            "snippet": {"channelId": CHANNEL_ID, "videoId": "vid123", "topLevelComment": top},
            "replies": {
                "comments": [
                    _comment(
                        "Ugx1.r1",
                        "acme",
                        CHANNEL_ID,
                        "2026-11-25T10:05:00Z",
                        "Which version?",
                        "Ugx1",
                    ),
                    _comment(
                        "Ugx1.r2", "eli", "UCeli", "2026-11-25T10:07:00Z", "4.2 on Android", "Ugx1"
                    ),
                ]
            },
        }
    ]


def test_youtube_comment_threads_are_polled_into_one_conversation(
    youtube: Desk, youtube_server: FakeYouTube
) -> None:
    _video_thread(youtube_server)
    youtube.poll_now()
    youtube.poll_now()  # nothing new the second time
    messages = youtube.messages()
    assert [(m.platform_message_id, m.direction) for m in messages] == [
        ("Ugx1", "in"),
        ("Ugx1.r1", "out"),
        ("Ugx1.r2", "in"),
    ]
    assert len({m.conversation_id for m in messages}) == 1
    (first, *_rest) = youtube_server.calls("GET", "/commentThreads")
    assert first.query["part"] == "snippet,replies" and first.query["order"] == "time"
    assert len(youtube_server.issued) == 1


def test_youtube_reply_names_the_threads_top_level_comment(
    youtube: Desk, youtube_server: FakeYouTube
) -> None:
    _video_thread(youtube_server)
    youtube.poll_now()
    answer = youtube.reply(youtube.conversations()[0].id, "Fixed in 4.2.1, rolling out now")
    assert answer.status_code == 202, answer.text
    youtube.app.run_jobs_until_idle()
    (call,) = youtube_server.calls("POST", "/comments")
    assert call.query == {"part": "snippet"}
    assert call.body == {
        "snippet": {"parentId": "Ugx1", "textOriginal": "Fixed in 4.2.1, rolling out now"}
    }
    assert youtube.messages()[-1].platform_message_id == "Ugx1.brandReply1"


def test_youtube_quota_exhaustion_waits_an_hour(youtube: Desk, youtube_server: FakeYouTube) -> None:
    _video_thread(youtube_server)
    youtube.poll_now()
    youtube_server.answer_next(
        403,
        {
            "error": {
                "code": 403,
                "message": "The request cannot be completed because you have exceeded your quota.",
                "errors": [{"reason": "quotaExceeded"}],
            }
        },
    )
    youtube.reply(youtube.conversations()[0].id, "Looking into it")
    youtube.app.run_jobs_until_idle()
    job = youtube.delivery_job()
    assert job.status == "queued"
    assert job.run_at - utcnow() > timedelta(minutes=55)
    assert youtube.messages()[-1].delivery_state == "queued"


def test_youtube_comments_disabled_is_a_permanent_failure(
    youtube: Desk, youtube_server: FakeYouTube
) -> None:
    _video_thread(youtube_server)
    youtube.poll_now()
    youtube_server.answer_next(
        403,
        {
            "error": {
                "code": 403,
                "message": "The video has disabled comments.",
                "errors": [{"reason": "commentsDisabled"}],
            }
        },
    )
    youtube.reply(youtube.conversations()[0].id, "Looking into it")
    youtube.app.run_jobs_until_idle()
    failed = youtube.messages()[-1]
    assert failed.delivery_state == "failed"
    assert "disabled comments" in (failed.delivery_error or "")
    assert "commentsDisabled" in (failed.delivery_error or "")


def test_an_expired_youtube_token_is_replaced_and_the_reply_sent(
    youtube: Desk, youtube_server: FakeYouTube
) -> None:
    _video_thread(youtube_server)
    youtube.poll_now()
    youtube_server.answer_next(
        401,
        {
            "error": {
                "code": 401,
                "message": "Invalid Credentials",
                "errors": [{"reason": "authError"}],
            }
        },
    )
    youtube.reply(youtube.conversations()[0].id, "Looking into it")
    youtube.app.run_jobs_until_idle()
    youtube.make_delivery_due()
    assert len(youtube_server.issued) == 2  # the refused token was dropped, a new one fetched
    assert youtube.messages()[-1].delivery_state == "sent"
    assert len(youtube_server.calls("POST", "/comments")) == 2
