"""SQLite writers of one process take turns in arrival order (store/db.py WriterQueue): a
thread that writes in a loop cannot keep the turn from threads already waiting."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from socialdesk.store.db import Database, WriterQueue


def _wait_until_queued(queue: WriterQueue, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(queue._waiting) < count:  # white box: how many threads wait for a turn
        assert time.monotonic() < deadline, "the threads never queued"
        time.sleep(0.001)


def test_a_thread_may_take_its_own_turn_again() -> None:
    queue = WriterQueue()
    queue.acquire()
    queue.acquire()  # a session opened inside another, in the same thread
    queue.release()
    other_got_it = threading.Event()

    def other() -> None:
        queue.acquire()
        other_got_it.set()
        queue.release()

    thread = threading.Thread(target=other)
    thread.start()
    assert not other_got_it.wait(0.05)  # still held once
    queue.release()
    thread.join(timeout=10)
    assert other_got_it.is_set()


def test_waiting_writers_get_their_turn_in_arrival_order_before_the_releaser_again() -> None:
    queue = WriterQueue()
    order: list[str] = []
    queue.acquire()  # the looping worker holds the turn

    def writer(name: str) -> None:
        queue.acquire()
        order.append(name)
        queue.release()

    first = threading.Thread(target=writer, args=("first",))
    first.start()
    _wait_until_queued(queue, 1)
    second = threading.Thread(target=writer, args=("second",))
    second.start()
    _wait_until_queued(queue, 2)

    queue.release()
    queue.acquire()  # the worker wants the next turn at once: it comes after both
    order.append("worker again")
    queue.release()
    first.join(timeout=10)
    second.join(timeout=10)

    assert order == ["first", "second", "worker again"]


def test_sqlite_sessions_of_many_threads_all_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    with db.session() as session:
        session.execute(text("CREATE TABLE hits (thread INTEGER, n INTEGER)"))
    errors: list[BaseException] = []

    def writes(thread_no: int) -> None:
        try:
            for n in range(25):
                with db.session() as session:
                    session.execute(
                        text("INSERT INTO hits VALUES (:t, :n)"), {"t": thread_no, "n": n}
                    )
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writes, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with db.read_session() as session:
        count = session.scalar(text("SELECT count(*) FROM hits"))
    db.dispose()

    assert errors == []
    assert count == 6 * 25
    assert db.writers is not None and db.writers._owner is None  # the turn was given back
