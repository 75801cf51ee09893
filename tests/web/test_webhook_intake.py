"""The webhooks' shared intake (web/hooks/_intake.py): group commit, dedupe under concurrency,
"stored before acknowledged" when a commit fails, and the account cache."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import hmac
import json
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import inbound_payload
from socialdesk.domain.errors import InvalidInput
from socialdesk.pipeline.intake import INGEST_JOB, RawDraft, store_raw_events
from socialdesk.services.channel_accounts import connect_account
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import ChannelAccount, Job, RawEvent
from socialdesk.web.app import create_app
from socialdesk.web.hooks._intake import IntakeWriter, NotStored

SECRET = "intake-consumer-secret"
T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: Playwright's sync API (browser tests earlier in
    the same pytest process) keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _sandbox_account(app: App) -> tuple[int, int]:
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "intake").id
        account_id = create_sandbox_account(
            session, workspace_id, name="Sandbox", handle="brand"
        ).id
    return workspace_id, account_id


def _post(message_id: str, text: str = "where is my order?") -> bytes:
    return inbound_payload(
        kind="post",
        customer={"id": "c-1", "handle": "customer"},
        text=text,
        message_id=message_id,
        time=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    )


def _counts(app: App) -> tuple[int, int]:
    with app.db.read_session() as session:
        raws = session.scalar(select(func.count()).select_from(RawEvent)) or 0
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == INGEST_JOB))
        return int(raws), int(jobs or 0)


async def _deliver_concurrently(app: App, path: str, bodies: list[bytes]) -> list[httpx.Response]:
    api = create_app(app)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(path, content=b, headers={"content-type": "application/json"})
                    for b in bodies
                )
            )
        )


def test_concurrent_identical_deliveries_store_one_raw_event(app: App) -> None:
    _, account_id = _sandbox_account(app)
    body = _post("m-same")

    responses = run_in_fresh_loop(
        _deliver_concurrently(app, f"/hooks/sandbox/{account_id}", [body] * 25)
    )

    assert [r.status_code for r in responses] == [202] * 25, responses[0].text
    answers = [r.json() for r in responses]
    assert len({a["raw_event_id"] for a in answers}) == 1
    assert sum(not a["duplicate"] for a in answers) == 1
    assert _counts(app) == (1, 1)


def test_concurrent_distinct_and_repeated_deliveries_are_each_stored_once(app: App) -> None:
    _, account_id = _sandbox_account(app)
    bodies = [_post(f"m-{i % 10}", text=f"message {i % 10}") for i in range(40)]

    responses = run_in_fresh_loop(
        _deliver_concurrently(app, f"/hooks/sandbox/{account_id}", bodies)
    )

    assert all(r.status_code == 202 for r in responses)
    by_message: dict[int, set[int]] = {}
    for i, response in enumerate(responses):
        by_message.setdefault(i % 10, set()).add(response.json()["raw_event_id"])
    assert all(len(ids) == 1 for ids in by_message.values())
    assert len({next(iter(ids)) for ids in by_message.values()}) == 10
    assert sum(not r.json()["duplicate"] for r in responses) == 10
    assert _counts(app) == (10, 10)


@contextlib.contextmanager
def _failing_commits(app: App) -> Iterator[list[int]]:
    """Every commit on the app's engine fails (as a full disk or a lost connection would)."""
    failures: list[int] = []

    def fail(_conn: Any) -> None:
        failures.append(1)
        raise OSError("simulated: the commit could not be written")

    event.listen(app.db.engine, "commit", fail)
    try:
        yield failures
    finally:
        event.remove(app.db.engine, "commit", fail)


def test_a_failed_commit_is_answered_503_problem_json_never_2xx(app: App) -> None:
    _, account_id = _sandbox_account(app)
    bodies = [_post("m-a"), _post("m-b"), _post("m-a")]
    path = f"/hooks/sandbox/{account_id}"

    with _failing_commits(app) as failures:
        responses = run_in_fresh_loop(_deliver_concurrently(app, path, bodies))

    assert failures, "the commit was never attempted"
    for response in responses:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "deliver it again" in response.json()["detail"]
    assert _counts(app) == (0, 0)
    # The platform delivers again once the database is back: stored, once each.
    again = run_in_fresh_loop(_deliver_concurrently(app, path, bodies))
    assert [r.status_code for r in again] == [202, 202, 202]
    assert _counts(app) == (2, 2)


def _writer(app: App) -> IntakeWriter:
    return IntakeWriter(app.db, asyncio.get_running_loop(), contextlib.nullcontext)


def test_a_batch_is_one_transaction_with_the_same_outcome_as_one_by_one(app: App) -> None:
    workspace_id, account_id = _sandbox_account(app)

    def draft(message_id: str) -> RawDraft:
        return RawDraft(workspace_id, account_id, "sandbox", _post(message_id), message_id)

    with app.db.session() as session:
        [(stored_before, _)] = store_raw_events(session, [draft("old")])
    commits: list[int] = []
    event.listen(app.db.engine, "commit", lambda _conn: commits.append(1))

    async def submit() -> list[list[tuple[int, bool]]]:
        writer = _writer(app)
        try:
            # Submitted before the writer runs: they all wait for, and share, one batch.
            return list(
                await asyncio.gather(
                    writer.store([draft("x")]),
                    writer.store([draft("old"), draft("y")]),
                    writer.store([draft("x")]),
                    writer.store([RawDraft(workspace_id, account_id, "sandbox", b"{}", None)]),
                )
            )
        finally:
            writer.close()

    x, (old, y), x_again, anonymous = run_in_fresh_loop(submit())

    assert len(commits) == 1
    assert x[0][1] is True and x_again == [(x[0][0], False)]
    assert old == (stored_before, False)
    assert y[1] is True and anonymous[0][1] is True
    assert len({x[0][0], y[0], anonymous[0][0], stored_before}) == 4
    assert _counts(app) == (4, 4)


def test_one_failing_item_does_not_fail_the_others_of_its_batch(app: App) -> None:
    workspace_id, account_id = _sandbox_account(app)

    def refuse(_session: Session) -> None:
        raise InvalidInput("text: refused")

    async def submit() -> list[Any]:
        writer = _writer(app)
        try:
            return list(
                await asyncio.gather(
                    writer.store([RawDraft(workspace_id, account_id, "sandbox", b"{}", "a")]),
                    writer.run(refuse),
                    writer.store([RawDraft(workspace_id, 10**9, "sandbox", b"{}", "no-fk")]),
                    writer.store([RawDraft(workspace_id, account_id, "sandbox", b"{}", "b")]),
                    return_exceptions=True,
                )
            )
        finally:
            writer.close()

    first, refused, orphan, last = run_in_fresh_loop(submit())

    assert isinstance(refused, InvalidInput)
    assert isinstance(orphan, NotStored)  # no such account: the insert fails, alone
    assert first[0][1] is True and last[0][1] is True
    assert _counts(app) == (2, 2)


def _x_account(app: App, secret: str) -> int:
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "intake-x").id
        return connect_account(
            session,
            workspace_id,
            app.channels["twitter"].connection,
            name="X",
            values={
                "handle": "brand",
                "external_id": "42",
                "consumer_secret": secret,
                "access_token": "unused",
            },
            cipher=app.cipher,
        ).id


def _signed(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {
        "content-type": "application/json",
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode(),
    }


def _mention(n: int) -> bytes:
    return json.dumps(
        {
            "for_user_id": "42",
            "tweet_create_events": [
                {
                    "id_str": str(1_000 + n),
                    "created_at": "Wed Nov 25 10:00:00 +0000 2026",
                    "text": f"@brand hello {n}",
                    "user": {"id_str": "7", "screen_name": "customer", "name": "Customer"},
                }
            ],
        }
    ).encode()


def test_a_secret_changed_elsewhere_is_honoured_at_once_despite_the_cache(app: App) -> None:
    account_id = _x_account(app, SECRET)
    path = f"/hooks/twitter/{account_id}"

    async def scenario() -> list[int]:
        api = create_app(app)
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def deliver(n: int, secret: str) -> int:
                body = _mention(n)
                response = await client.post(path, content=body, headers=_signed(secret, body))
                return response.status_code

            statuses = [await deliver(1, SECRET)]
            # Another process rotates the secret (no ORM event reaches this process).
            with app.db.session() as session:
                session.execute(
                    update(ChannelAccount)
                    .where(ChannelAccount.id == account_id)
                    .values(
                        credentials=app.cipher.encrypt(
                            {"consumer_secret": "rotated", "access_token": "unused"}
                        )
                    )
                    .execution_options(synchronize_session=False)
                )
            statuses.append(await deliver(2, "rotated"))
            statuses.append(await deliver(3, SECRET))
            return statuses

    assert run_in_fresh_loop(scenario()) == [200, 200, 403]
    assert _counts(app) == (2, 2)
