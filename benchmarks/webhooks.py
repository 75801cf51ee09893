"""Webhook acknowledgement latency under load (issue 4): ``benchmarks/results/webhooks.json``.

The real server (uvicorn serving ``create_app``, one process, the product's default HTTP stack)
runs in a child process on 127.0.0.1 with a scratch database; an X channel account is connected
with its consumer secret. A load generator sends signed X Account Activity deliveries (each a
distinct mention) at a fixed rate, open loop: request *i* leaves at ``i / rate`` seconds whether
or not earlier ones were answered, on a free keep-alive connection (a new one is opened when
none is free). Per request it records the time from sending to the complete answer, and the
time from the *scheduled* send time, so a client or server that fell behind cannot hide stalls
(coordinated omission). As HTTP clients do, an idle connection the server has closed is not
reused, and a request whose reused connection the server closed before answering anything is
sent again on a new one (counted in ``stale_connection_retries``; its latency keeps the time
lost). Afterwards every delivery must be found stored as a raw event, with an
ingest job queued for each. Target: p99 under 20 ms at 500 requests/s.

The load generator writes pre-built HTTP/1.1 requests on asyncio streams and reads each
answer's status line, headers and Content-Length body (a general-purpose client such as httpx
costs ~1 ms of CPU per request, which on a 2-core machine competes with the server it
measures); it may run in several processes (``--client-processes``), each sending every
P-th request of the same schedule. The CPU time the client and the server used is recorded
(``cpu_ms_per_request``), and so is the machine's load average before and after each scenario:
the machine may be shared, and the figures are only as good as the CPU that was free.

Scenarios: SQLite with the job workers off (``embedded_workers=0``: the answer means "stored
and queued", which is what the platform waits for), SQLite with one worker ingesting the queue
at the same time, and PostgreSQL with the workers off (when a server is reachable).

    python -m benchmarks.webhooks [--rate 500] [--seconds 20] [--client-processes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from benchmarks.common import (
    RESULTS,
    machine_info,
    postgres_database,
    postgres_unavailable,
    sqlite_url,
    write_json,
)

TARGET_P99_MS = 20.0
TARGET_RATE = 500
CONSUMER_SECRET = "bench-consumer-secret"
BRAND_ID = "1000000001"
WARMUP_REQUESTS = 200
_SECRET_KEY = Fernet.generate_key().decode()  # shared by the set-up and the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(directory: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["SOCIALDESK_DATABASE_URL"] = database_url
    env["SOCIALDESK_VAR_DIR"] = str(directory / "var")
    env["SOCIALDESK_SECRET_KEY"] = _SECRET_KEY
    return env


def _prepare(directory: Path, database_url: str) -> int:
    """Migrate the scratch database and connect the X account; returns its id."""
    from socialdesk.bootstrap import bootstrap
    from socialdesk.config import Settings
    from socialdesk.services.channel_accounts import connect_account
    from socialdesk.services.workspaces import get_or_create_workspace

    env = _env(directory, database_url)
    settings = Settings(
        database_url=database_url,
        var_dir=Path(env["SOCIALDESK_VAR_DIR"]),
        secret_key=env["SOCIALDESK_SECRET_KEY"],
    )
    app = bootstrap(settings)
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "bench").id
        account = connect_account(
            session,
            workspace_id,
            app.channels["twitter"].connection,
            name="Bench",
            values={
                "handle": "benchcare",
                "external_id": BRAND_ID,
                "consumer_secret": CONSUMER_SECRET,
                "access_token": "unused",
            },
            cipher=app.cipher,
        )
        account_id = account.id
    app.db.dispose()
    return account_id


def _serve(port: int, workers: int) -> None:
    """Child process: the product's web app on 127.0.0.1, quiet access log."""
    import uvicorn

    from socialdesk.bootstrap import bootstrap
    from socialdesk.web.app import create_app

    app = bootstrap()
    app.settings.embedded_workers = workers
    uvicorn.run(create_app(app), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _delivery(i: int) -> bytes:
    tweet_id = str(1_900_000_000_000_000_000 + i)
    payload = {
        "for_user_id": BRAND_ID,
        "tweet_create_events": [
            {
                "id_str": tweet_id,
                "created_at": "Wed Nov 25 10:00:00 +0000 2026",
                "text": f"@benchcare my order {i} has not arrived yet",
                "user": {
                    "id_str": str(5_000_000 + i % 3000),
                    "screen_name": f"customer{i % 3000}",
                    "name": f"Customer {i % 3000}",
                    "followers_count": i % 5000,
                    "verified": False,
                },
                "entities": {"user_mentions": [{"id_str": BRAND_ID, "screen_name": "benchcare"}]},
            }
        ],
    }
    return json.dumps(payload).encode()


def _sign(body: bytes) -> str:
    digest = hmac.new(CONSUMER_SECRET.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _request(path: str, port: int, body: bytes) -> bytes:
    """One complete HTTP/1.1 request, keep-alive, as a platform would send it."""
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"host: 127.0.0.1:{port}\r\n"
        "content-type: application/json\r\n"
        f"x-twitter-webhooks-signature: {_sign(body)}\r\n"
        f"content-length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its whole answer; returns the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:].strip())
        if length:
            await self.reader.readexactly(length)
        return status


async def _connect(port: int) -> _Connection:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return _Connection(reader, writer)


async def _send_share(
    port: int, requests: Sequence[tuple[int, bytes]], rate: float, start_at: float
) -> dict[str, Any]:
    """Send ``requests`` ((index, bytes)), request *i* at ``start_at + i / rate`` (wall clock)."""
    idle: list[_Connection] = [await _connect(port) for _ in range(32)]
    opened = len(idle)
    service: list[float] = []
    from_schedule: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    stale_retries = 0
    # perf_counter is the precise clock; align it once with the shared wall-clock start.
    offset = time.perf_counter() - time.time()
    start = start_at + offset

    async def fresh() -> _Connection:
        nonlocal opened
        opened += 1
        return await _connect(port)

    def reusable() -> _Connection | None:
        # The server closes keep-alive connections idle for a few seconds; one whose end of
        # stream has already arrived is dropped here, as HTTP clients do before reusing one.
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof():
                return connection
            connection.writer.close()
        return None

    async def one(due: float, request: bytes) -> None:
        nonlocal stale_retries
        connection = reusable()
        reused = connection is not None
        if connection is None:
            connection = await fresh()
        sent = time.perf_counter()
        try:
            try:
                status = await connection.exchange(request)
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
                partial = getattr(exc, "partial", b"")
                if not reused or partial:
                    raise
                # The server closed this idle connection as the request went out: it read
                # nothing of it (no answer byte came back), so it is sent again on a new
                # connection, as HTTP clients do; the time lost stays in the latency.
                connection.writer.close()
                stale_retries += 1
                connection = await fresh()
                status = await connection.exchange(request)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            connection.writer.close()
            return
        done = time.perf_counter()
        idle.append(connection)
        statuses[status] = statuses.get(status, 0) + 1
        service.append((done - sent) * 1000)
        from_schedule.append((done - due) * 1000)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    tasks = []
    for index, request in requests:
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, request)))
    await asyncio.gather(*tasks)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    for connection in idle:
        connection.writer.close()
    return {
        "service": service,
        "from_schedule": from_schedule,
        "statuses": statuses,
        "errors": errors[:5],
        "error_count": len(errors),
        "connections": opened,
        "stale_connection_retries": stale_retries,
        "cpu_seconds": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "finished_at": time.time(),
    }


def _client_process(
    port: int, requests: Sequence[tuple[int, bytes]], rate: float, start_at: float, out: Any
) -> None:
    out.send(asyncio.run(_send_share(port, requests, rate, start_at)))
    out.close()


def _load(
    port: int, path: str, bodies: Sequence[bytes], rate: float, processes: int
) -> dict[str, Any]:
    requests = [(i, _request(path, port, body)) for i, body in enumerate(bodies)]
    start_at = time.time() + 1.0  # every client process starts the same schedule
    if processes <= 1:
        shares = [asyncio.run(_send_share(port, requests, rate, start_at))]
    else:
        context = multiprocessing.get_context("fork")
        pipes, workers = [], []
        for k in range(processes):
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(
                target=_client_process,
                args=(port, requests[k::processes], rate, start_at, sender),
            )
            worker.start()
            sender.close()
            pipes.append(receiver)
            workers.append(worker)
        shares = [pipe.recv() for pipe in pipes]
        for worker in workers:
            worker.join()
    elapsed = max(share["finished_at"] for share in shares) - start_at
    service = [v for share in shares for v in share["service"]]
    from_schedule = [v for share in shares for v in share["from_schedule"]]
    statuses: dict[int, int] = {}
    for share in shares:
        for status, count in share["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    client_cpu = sum(share["cpu_seconds"] for share in shares)
    return {
        "requests": len(bodies),
        "seconds": round(elapsed, 2),
        "achieved_rate": round(len(bodies) / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": sum(share["error_count"] for share in shares),
        "transport_error_examples": [e for share in shares for e in share["errors"]][:5],
        "connections_opened": sum(share["connections"] for share in shares),
        "stale_connection_retries": sum(share["stale_connection_retries"] for share in shares),
        "client_processes": max(1, processes),
        "latency_ms": _percentiles(service),
        "latency_from_schedule_ms": _percentiles(from_schedule),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / len(bodies), 3),
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "p999": at(0.999),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


def _stored(database_url: str) -> tuple[int, int]:
    """(raw events stored, ingest jobs queued or done for them)."""
    from socialdesk.pipeline.intake import INGEST_JOB
    from socialdesk.store.db import Database
    from socialdesk.store.models import Job, RawEvent

    db = Database(database_url)
    try:
        with db.read_session() as session:
            raws = int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)
            jobs = int(
                session.scalar(select(func.count()).select_from(Job).where(Job.kind == INGEST_JOB))
                or 0
            )
            return raws, jobs
    finally:
        db.dispose()


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited before it was ready")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield sqlite_url(directory, "webhooks")
    else:
        with postgres_database("webhooks") as url:
            yield url


def _scenario(
    database: str, rate: float, seconds: float, workers: int, processes: int
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="sd-webhooks-") as tmp,
        _database(database, Path(tmp)) as url,
    ):
        directory = Path(tmp)
        account_id = _prepare(directory, url)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhooks", "--serve", str(port), str(workers)],
            env=_env(directory, url),
            cwd=Path(__file__).resolve().parents[1],
        )
        path = f"/hooks/twitter/{account_id}"
        count = int(rate * seconds)
        try:
            _wait_ready(port, server)
            # Warm the server's code paths (and its account cache) outside the measurement.
            warm = [_delivery(1_000_000 + i) for i in range(WARMUP_REQUESTS)]
            _load(port, path, warm, min(rate, 200), 1)
            bodies = [_delivery(i) for i in range(count)]
            load_before = [round(x, 2) for x in os.getloadavg()]
            server_cpu = _process_cpu_seconds(server.pid)
            result = _load(port, path, bodies, rate, processes)
            server_cpu = _process_cpu_seconds(server.pid) - server_cpu
            load_after = [round(x, 2) for x in os.getloadavg()]
        finally:
            server.terminate()
            server.wait(timeout=30)
        raws, jobs = _stored(url)
    stored = raws - WARMUP_REQUESTS
    result["server_cpu_ms_per_request"] = round(server_cpu * 1000 / count, 3)
    result["load_average_before"] = load_before
    result["load_average_after"] = load_after
    result["stored_raw_events"] = stored
    result["ingest_jobs"] = jobs - WARMUP_REQUESTS
    result["every_event_stored"] = stored == count and jobs == raws
    result["embedded_workers"] = workers
    result["database"] = database
    return result


def _met(scenario: dict[str, Any], rate: float) -> bool:
    return bool(
        scenario["latency_ms"]
        and scenario["latency_from_schedule_ms"]["p99"] < TARGET_P99_MS
        and scenario["every_event_stored"]
        and rate >= TARGET_RATE
        and scenario["statuses"] == {"200": scenario["requests"]}
    )


def run(
    rate: float = TARGET_RATE,
    seconds: float = 20.0,
    processes: int = 1,
    scenarios: Sequence[str] = ("sqlite", "sqlite_worker", "postgresql"),
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "sqlite" in scenarios:
        results["acknowledge_only"] = _scenario("sqlite", rate, seconds, 0, processes)
    if "sqlite_worker" in scenarios:
        results["with_one_worker_ingesting"] = _scenario("sqlite", rate, seconds, 1, processes)
    if "postgresql" in scenarios:
        reason = postgres_unavailable()
        results["postgresql_acknowledge_only"] = (
            {"skipped": reason} if reason else _scenario("postgresql", rate, seconds, 0, processes)
        )
    main = results.get("acknowledge_only")
    return {
        "benchmark": "webhooks",
        "description": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
        "method": __doc__.split("\n\n")[2].replace("\n", " ") if __doc__ else "",
        "machine": machine_info(),
        "parameters": {
            "rate_per_second": rate,
            "seconds": seconds,
            "client_processes": processes,
            "warmup_requests": WARMUP_REQUESTS,
        },
        "target": {
            "p99_ms": TARGET_P99_MS,
            "rate_per_second": TARGET_RATE,
            "measured_on": "acknowledge_only (SQLite), p99 counted from the scheduled send time",
            "met": _met(main, rate) if main else False,
        },
        **results,
    }


def summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("acknowledge_only", "with_one_worker_ingesting", "postgresql_acknowledge_only"):
        r = result.get(name)
        if not r:
            continue
        if "skipped" in r:
            lines.append(f"webhooks {name}: skipped ({r['skipped']})")
            continue
        lat = r["latency_ms"]
        lines.append(
            f"webhooks {name}: {r['achieved_rate']:.0f} req/s, p50 {lat.get('p50')} ms, "
            f"p99 {lat.get('p99')} ms (from schedule {r['latency_from_schedule_ms'].get('p99')} "
            f"ms), stored {r['stored_raw_events']}/{r['requests']}, server CPU "
            f"{r['server_cpu_ms_per_request']} ms/req, client CPU "
            f"{r['client_cpu_ms_per_request']} ms/req, load {r['load_average_before'][0]}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument(
        "--scenarios",
        default="sqlite,sqlite_worker,postgresql",
        help="comma-separated: sqlite, sqlite_worker, postgresql",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "webhooks.json")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(int(args.serve[0]), int(args.serve[1]))
        return
    result = run(
        rate=args.rate,
        seconds=args.seconds,
        processes=args.client_processes,
        scenarios=[s.strip() for s in args.scenarios.split(",") if s.strip()],
    )
    path = write_json(args.output, result)
    print("\n".join(summary(result)))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
