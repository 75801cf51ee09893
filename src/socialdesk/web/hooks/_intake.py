"""What every webhook shares: its channel account (cached, credentials decrypted) and the
group-committed store that answers a delivery only once its payload is durably stored.

A webhook request does everything that does not write first, outside any transaction: the
account comes from a short-lived in-process cache (:class:`AccountCache`), the signature is
checked and the payload parsed. Only then does it hand its raw events to the app's
:class:`IntakeWriter`, and it answers when the writer's transaction has committed.

The writer is a group commit: one task per event loop takes every delivery waiting at that
moment (up to ``MAX_BATCH``) and stores them in ONE transaction on a dedicated thread
(:func:`socialdesk.pipeline.intake.store_raw_events`, whose outcome is exactly that of
storing them one after another: dedupe included, also between identical deliveries of the
same batch); it resolves each request's future after the commit. While a batch commits the
next one gathers, so batches grow with the load and the cost of a transaction (SQLite's
single write lock, PostgreSQL's commit flush) is paid once per batch rather than once per
request. If a batch fails, each of its items is retried alone in its own transaction, so one
bad delivery never fails the others; a delivery that still cannot be stored is answered
503 problem+json (the platform delivers it again), never 2xx.

On SQLite the batch holds the app's write gate (:func:`socialdesk.web.deps.write_gate`), so
webhook batches and the API's write transactions take turns in the event loop instead of
waiting for the database lock in threads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from anyio import from_thread
from fastapi import Request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo
from socialdesk.domain.errors import NotFound, SocialdeskError
from socialdesk.pipeline.intake import RawDraft, account_info, store_raw_events
from socialdesk.store.db import Database
from socialdesk.store.models import ChannelAccount
from socialdesk.web.deps import get_app, write_gate

__all__ = [
    "ACCOUNT_TTL_SECONDS",
    "MAX_BATCH",
    "AccountCache",
    "IntakeWriter",
    "NotStored",
    "hook_account",
    "run_write",
    "run_write_from_thread",
    "store_drafts",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 256
# A cached account is re-read after this long; a check that fails on a cached account (a
# rotated secret, a changed setting) re-reads it at once, so the TTL only bounds how long a
# deleted account keeps answering from the cache (its deliveries then fail to store: 503).
ACCOUNT_TTL_SECONDS = 5.0


class NotStored(SocialdeskError):
    """The payload could not be stored: the platform should deliver it again."""

    status = 503
    title = "Service unavailable"


# ------------------------------------------------------------------ the account cache

_caches: list[AccountCache] = []  # every live cache, so that changes evict everywhere
_caches_lock = threading.Lock()


class AccountCache:
    """Channel accounts as webhooks see them (:class:`AccountInfo`, credentials decrypted),
    kept ``ttl`` seconds per account id. Changes made through the ORM in this process evict
    the account at once; changes by another process are seen within ``ttl`` seconds, or at
    once when a check on the cached copy fails (see :func:`hook_account`)."""

    def __init__(self, app: App, ttl: float = ACCOUNT_TTL_SECONDS) -> None:
        self._app = app
        self._ttl = ttl
        self._entries: dict[int, tuple[float, AccountInfo]] = {}
        with _caches_lock:
            _caches.append(self)

    def close(self) -> None:
        with _caches_lock:
            if self in _caches:
                _caches.remove(self)
        self._entries.clear()

    def evict(self, account_id: int) -> None:
        self._entries.pop(account_id, None)

    def cached(self, account_id: int) -> AccountInfo | None:
        entry = self._entries.get(account_id)
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            return None
        return entry[1]

    def load(self, account_id: int) -> AccountInfo | None:
        """Read the account now (blocking: call from a worker thread) and cache it."""
        with self._app.db.read_session() as session:
            account = session.get(ChannelAccount, account_id)
            if account is None:
                self._entries.pop(account_id, None)
                return None
            info = account_info(account, self._app.cipher)
        self._entries[account_id] = (time.monotonic(), info)
        return info


def _evict_everywhere(account_id: int | None) -> None:
    if account_id is None:
        return
    with _caches_lock:
        caches = list(_caches)
    for cache in caches:
        cache.evict(account_id)


@event.listens_for(ChannelAccount, "after_update")
@event.listens_for(ChannelAccount, "after_delete")
def _account_changed(_mapper: Any, _connection: Any, target: ChannelAccount) -> None:
    _evict_everywhere(target.id)


def _cache(request: Request) -> AccountCache:
    state = request.app.state
    cache: AccountCache | None = getattr(state, "webhook_accounts", None)
    if cache is None:
        cache = state.webhook_accounts = AccountCache(get_app(request))
        state.cleanups.append(cache.close)
    return cache


async def hook_account(
    request: Request,
    account_id: int,
    platforms: str | Sequence[str],
    name: str,
    check: Callable[[AccountInfo], T] | None = None,
) -> tuple[AccountInfo, T | None]:
    """The webhook's channel account, and what ``check`` returns for it.

    ``NotFound`` ("no <name> channel account <id>") unless the account exists on one of
    ``platforms``. ``check`` verifies the delivery against the account (signature, secret
    token) and raises a :class:`SocialdeskError` to refuse it; when it refuses a cached copy
    the account is read again and checked once more, so a rotated secret or a changed
    setting is honoured at once.
    """
    wanted = (platforms,) if isinstance(platforms, str) else tuple(platforms)
    cache = _cache(request)
    info = cache.cached(account_id)
    from_cache = info is not None
    if info is None:
        info = await run_in_threadpool(cache.load, account_id)
    if info is None or info.platform not in wanted:
        raise NotFound(f"no {name} channel account {account_id}")
    if check is None:
        return info, None
    try:
        return info, check(info)
    except SocialdeskError:
        if not from_cache:
            raise
    info = await run_in_threadpool(cache.load, account_id)
    if info is None or info.platform not in wanted:
        raise NotFound(f"no {name} channel account {account_id}")
    return info, check(info)


# ------------------------------------------------------------------ the group commit


@dataclass(slots=True)
class _Item:
    """One request's share of a batch: raw events to store, or a unit of work to run."""

    future: asyncio.Future[Any]
    drafts: Sequence[RawDraft] | None = None
    work: Callable[[Session], Any] | None = None


@dataclass(slots=True)
class _Outcome:
    value: Any = None
    error: BaseException | None = None


@dataclass(slots=True)
class _Stats:
    batches: int = 0
    items: int = 0
    largest: int = 0
    retried_alone: int = 0


class IntakeWriter:
    """Group commit of webhook writes for one event loop (see the module's docstring)."""

    def __init__(
        self,
        db: Database,
        loop: asyncio.AbstractEventLoop,
        gate: Callable[[], Any],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.db = db
        self.loop = loop
        self._gate = gate
        self._max_batch = max_batch
        self._pending: list[_Item] = []
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="socialdesk-intake")
        self.stats = _Stats()

    def close(self) -> None:
        self._executor.shutdown(wait=False)

    async def store(self, drafts: Sequence[RawDraft]) -> list[tuple[int, bool]]:
        """Store raw events (and queue their processing); returns (raw event id, newly
        stored) per draft, once the transaction that stored them has committed."""
        result = await self._submit(_Item(self.loop.create_future(), drafts=list(drafts)))
        return cast(list[tuple[int, bool]], result)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a batch's transaction; its result once committed. ``work`` may be
        run a second time, alone, if its batch fails: it must do nothing but database work."""
        return cast(T, await self._submit(_Item(self.loop.create_future(), work=work)))

    async def _submit(self, item: _Item) -> Any:
        self._pending.append(item)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._drain())
        return await item.future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            batch = [item for item in batch if not item.future.done()]  # callers gone
            if not batch:
                continue
            try:
                async with self._gate():
                    outcomes = await self.loop.run_in_executor(
                        self._executor, self._commit_batch, batch
                    )
            except BaseException as exc:  # cancelled (shutdown) or the executor is gone
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(
                            NotStored("the server is shutting down; deliver the event again")
                        )
                if isinstance(exc, asyncio.CancelledError):
                    raise
                log.exception("webhook intake writer failed")
                continue
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():
                    continue
                if outcome.error is not None:
                    item.future.set_exception(outcome.error)
                else:
                    item.future.set_result(outcome.value)

    # -- on the writer's thread

    def _commit_batch(self, batch: list[_Item]) -> list[_Outcome]:
        stats = self.stats
        stats.batches += 1
        stats.items += len(batch)
        stats.largest = max(stats.largest, len(batch))
        if len(batch) == 1:
            return [self._commit_alone(batch[0])]
        try:
            with self.db.session() as session:
                values = _apply(session, batch)
        except Exception:
            # One bad item must not fail the others: each on its own, in its own transaction.
            stats.retried_alone += len(batch)
            return [self._commit_alone(item) for item in batch]
        return [_Outcome(value=value) for value in values]

    def _commit_alone(self, item: _Item) -> _Outcome:
        for attempt in (1, 2):
            try:
                with self.db.session() as session:
                    return _Outcome(value=_apply(session, [item])[0])
            except IntegrityError as exc:
                # Another process stored the same delivery between our lookup and insert:
                # once more, the lookup now finds it (a duplicate), unless it is something else.
                if attempt == 2:
                    return _Outcome(error=_not_stored(exc))
            except SocialdeskError as exc:
                return _Outcome(error=exc)
            except Exception as exc:
                return _Outcome(error=_not_stored(exc))
        raise AssertionError("unreachable")


def _apply(session: Session, batch: Sequence[_Item]) -> list[Any]:
    """Each item in order, in one transaction; consecutive raw-event items in one call."""
    values: list[Any] = [None] * len(batch)
    position = 0
    while position < len(batch):
        item = batch[position]
        if item.work is not None:
            values[position] = item.work(session)
            position += 1
            continue
        end = position
        drafts: list[RawDraft] = []
        while end < len(batch) and batch[end].work is None:
            drafts.extend(batch[end].drafts or ())
            end += 1
        stored = store_raw_events(session, drafts)
        offset = 0
        for index in range(position, end):
            count = len(batch[index].drafts or ())
            values[index] = stored[offset : offset + count]
            offset += count
        position = end
    return values


def _not_stored(exc: Exception) -> SocialdeskError:
    if isinstance(exc, SocialdeskError):
        return exc
    if isinstance(exc, SQLAlchemyError | OSError):
        log.warning("a webhook delivery could not be stored: %s", exc)
    else:
        log.error("a webhook delivery could not be stored", exc_info=exc)
    return NotStored("the event could not be stored; deliver it again later")


def _writer(request: Request) -> IntakeWriter:
    loop = asyncio.get_running_loop()
    state = request.app.state
    writer: IntakeWriter | None = getattr(state, "intake_writer", None)
    if writer is None or writer.loop is not loop:
        if writer is not None:
            writer.close()
        writer = IntakeWriter(get_app(request).db, loop, lambda: write_gate(request))
        state.intake_writer = writer
        state.cleanups.append(writer.close)
    return writer


async def store_drafts(request: Request, drafts: Sequence[RawDraft]) -> list[tuple[int, bool]]:
    """Store a webhook's raw events; returns once they are committed (else raises 503)."""
    return await _writer(request).store(drafts)


async def run_write(request: Request, work: Callable[[Session], T]) -> T:
    """Run a webhook's database work in the group commit; returns once committed."""
    return await _writer(request).run(work)


def run_write_from_thread(request: Request, work: Callable[[Session], T]) -> T:
    """:func:`run_write` for a handler running in a worker thread (a plain ``def``)."""

    async def submit() -> T:
        return await run_write(request, work)

    return from_thread.run(submit)
