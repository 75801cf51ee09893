"""Webhook acknowledgement latency under load (issue 4): ``benchmarks/results/webhooks.json``.

The real server (uvicorn serving ``create_app``) runs in a child process on 127.0.0.1 with a
SQLite database in a scratch directory; an X channel account is connected with its consumer
secret. This process sends signed X Account Activity deliveries (each a distinct mention) at a
fixed rate (open loop: request *i* leaves at ``i / rate`` seconds whether or not earlier ones
were answered) and records, per request, the time from sending to the 200 answer; the
latency counted from the *scheduled* send time is recorded too, so a client that fell behind
cannot hide server stalls (coordinated omission). Afterwards every delivery must be found
stored as a raw event. Target: p99 under 20 ms at 500 requests/s.

The server's job workers are off during the timed phase (``embedded_workers=0``): the answer
is "stored and queued", which is what the platform waits for; a second run with one worker
processing the queue at the same time shows the cost of ingesting alongside.

    python -m benchmarks.webhooks [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks.common import RESULTS, machine_info, write_json

TARGET_P99_MS = 20.0
TARGET_RATE = 500
CONSUMER_SECRET = "bench-consumer-secret"
BRAND_ID = "1000000001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(directory: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SOCIALDESK_DATABASE_URL"] = f"sqlite:///{directory / 'webhooks.db'}"
    env["SOCIALDESK_VAR_DIR"] = str(directory / "var")
    return env


def _prepare(directory: Path) -> int:
    """Migrate the scratch database and connect the X account; returns its id."""
    from socialdesk.bootstrap import bootstrap
    from socialdesk.config import Settings
    from socialdesk.services.channel_accounts import connect_account
    from socialdesk.services.workspaces import get_or_create_workspace

    env = _env(directory)
    settings = Settings(
        database_url=env["SOCIALDESK_DATABASE_URL"], var_dir=Path(env["SOCIALDESK_VAR_DIR"])
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


async def _load(url: str, bodies: Sequence[bytes], rate: float) -> dict[str, Any]:
    signed = [(body, _sign(body)) for body in bodies]
    service_ms: list[float] = []
    scheduled_ms: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        # Warm the connection pool and the server's code paths outside the measurement.
        health = url.split("/hooks/")[0] + "/healthz"
        await asyncio.gather(*(client.get(health) for _ in range(8)))
        start = time.perf_counter()

        async def one(i: int, body: bytes, signature: str) -> None:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            response = await client.post(
                url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "x-twitter-webhooks-signature": signature,
                },
            )
            done = time.perf_counter()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            service_ms.append((done - sent) * 1000)
            scheduled_ms.append((done - due) * 1000)

        await asyncio.gather(*(one(i, b, s) for i, (b, s) in enumerate(signed)))
        elapsed = time.perf_counter() - start
    return {
        "requests": len(bodies),
        "seconds": round(elapsed, 2),
        "achieved_rate": round(len(bodies) / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "latency_ms": _percentiles(service_ms),
        "latency_from_schedule_ms": _percentiles(scheduled_ms),
    }


def _percentiles(values: list[float]) -> dict[str, float]:
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


def _stored(directory: Path) -> int:
    from socialdesk.store.db import Database
    from socialdesk.store.models import RawEvent

    db = Database(_env(directory)["SOCIALDESK_DATABASE_URL"])
    try:
        with db.read_session() as session:
            return int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)
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


def _scenario(rate: float, seconds: float, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sd-webhooks-") as tmp:
        directory = Path(tmp)
        account_id = _prepare(directory)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.webhooks", "--serve", str(port), str(workers)],
            env=_env(directory),
            cwd=Path(__file__).resolve().parents[1],
        )
        try:
            _wait_ready(port, server)
            count = int(rate * seconds)
            bodies = [_delivery(i) for i in range(count)]
            url = f"http://127.0.0.1:{port}/hooks/twitter/{account_id}"
            result = asyncio.run(_load(url, bodies, rate))
        finally:
            server.terminate()
            server.wait(timeout=30)
        result["stored_raw_events"] = _stored(directory)
        result["every_event_stored"] = result["stored_raw_events"] == count
        result["embedded_workers"] = workers
        return result


def run(rate: float = TARGET_RATE, seconds: float = 20.0) -> dict[str, Any]:
    acknowledged = _scenario(rate, seconds, workers=0)
    with_worker = _scenario(rate, seconds, workers=1)
    p99 = acknowledged["latency_ms"]["p99"]
    return {
        "benchmark": "webhooks",
        "description": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
        "machine": machine_info(),
        "parameters": {"rate_per_second": rate, "seconds": seconds, "database": "sqlite"},
        "target": {
            "p99_ms": TARGET_P99_MS,
            "rate_per_second": TARGET_RATE,
            "met": bool(
                p99 < TARGET_P99_MS
                and acknowledged["every_event_stored"]
                and rate >= TARGET_RATE
                and acknowledged["statuses"] == {"200": acknowledged["requests"]}
            ),
        },
        "acknowledge_only": acknowledged,
        "with_one_worker_ingesting": with_worker,
    }


def summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("acknowledge_only", "with_one_worker_ingesting"):
        r = result[name]
        lat = r["latency_ms"]
        lines.append(
            f"webhooks {name}: {r['achieved_rate']:.0f} req/s, p50 {lat['p50']} ms, "
            f"p99 {lat['p99']} ms (from schedule {r['latency_from_schedule_ms']['p99']} ms), "
            f"stored {r['stored_raw_events']}/{r['requests']}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(int(args.serve[0]), int(args.serve[1]))
        return
    result = run(rate=args.rate, seconds=args.seconds)
    path = write_json(RESULTS / "webhooks.json", result)
    print("\n".join(summary(result)))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
