"""TWCS import at scale: ``import_twcs`` of a synthetic TWCS-format file on SQLite.

Target from the issue: a 2.8 M-row TWCS file (the real corpus has 2,811,774 rows) imports in
under 10 minutes. The file is generated into a temporary directory by
:func:`benchmarks.synthetic.write_twcs_csv` (same columns and date format as the corpus, threads
with brand replies, customers answering back, missing parents, early brand clocks, float parent
ids, multi-line texts) and deleted afterwards.

The import runs in a child process, so that its peak RSS (``getrusage``) is the import's alone.
Its rate is measured at ``--rows`` (300,000 by default, or ``SOCIALDESK_BENCH_TWCS_ROWS``) and
projected to 2.8 M rows twice: linearly, and from the rate of the last fifth of the batches
(the database grows, so later batches are the slower ones). ``--rows 2811774`` measures the real
size; its result goes to ``twcs_import_full.json`` so that a default run keeps it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import RESULTS, Timer, machine_info, peak_rss_mib, sqlite_url, write_json
from benchmarks.synthetic import write_twcs_csv
from socialdesk.importers.twcs import import_twcs
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.db import Database
from socialdesk.store.migrate import migrate
from socialdesk.store.models import Conversation, Event, Message

__all__ = ["main", "run"]

FULL_ROWS = 2_811_774
DEFAULT_ROWS = 300_000
ROWS_ENV = "SOCIALDESK_BENCH_TWCS_ROWS"
TARGET_SECONDS = 600
SEED = 20171031


def _child(csv_path: Path, url: str, batch_size: int) -> dict[str, Any]:
    """Import ``csv_path`` into a fresh database at ``url``; runs in its own process."""
    db = Database(url)
    migrate(db)
    with db.session() as session:
        workspace_id = get_or_create_workspace(session).id
    checkpoints: list[tuple[int, float]] = []
    started = time.perf_counter()
    prepared: list[float] = []
    done = 0

    def on_total(_total: int) -> None:
        prepared.append(time.perf_counter() - started)

    def on_progress(count: int) -> None:
        nonlocal done
        done += count
        checkpoints.append((done, time.perf_counter() - started))

    with Timer() as timer:
        report = import_twcs(
            db,
            workspace_id,
            csv_path,
            resolve_after=timedelta(hours=24),
            batch_size=batch_size,
            on_total=on_total,
            on_progress=on_progress,
        )
    with db.read_session() as session:
        counts = {
            "messages": session.scalar(select(func.count()).select_from(Message)),
            "conversations": session.scalar(select(func.count()).select_from(Conversation)),
            "events": session.scalar(select(func.count()).select_from(Event)),
        }
    database = Path(url.removeprefix("sqlite:///"))
    db.dispose()
    return {
        "report": {
            "rows": report.rows,
            "tweets": report.tweets,
            "brands": report.brands,
            "stored": report.stored,
            "duplicates": report.duplicates,
            "new_conversations": report.new_conversations,
            "without_conversation": report.without_conversation,
            "resolved_at_end": report.resolved,
            "problems": len(report.problems),
        },
        "rows_after": counts,
        "wall_seconds": round(timer.wall, 2),
        "cpu_seconds": round(timer.cpu, 2),
        "read_and_prepare_seconds": round(prepared[0], 2) if prepared else None,
        "checkpoints": checkpoints,
        "peak_rss_mib": peak_rss_mib(),
        "database_mib": round(database.stat().st_size / 2**20, 1) if database.exists() else None,
    }


def _projection(rows: int, child: dict[str, Any]) -> dict[str, Any]:
    wall = child["wall_seconds"]
    prepare = child["read_and_prepare_seconds"] or 0.0
    checkpoints = child["checkpoints"]
    linear = wall * FULL_ROWS / rows
    tail: float | None = None
    if len(checkpoints) >= 5:
        cut = checkpoints[(len(checkpoints) * 4) // 5 - 1]
        last = checkpoints[-1]
        tail_rate = (last[0] - cut[0]) / max(last[1] - cut[1], 1e-9)
        tail = prepare * FULL_ROWS / rows + FULL_ROWS / tail_rate
    return {
        "rows": FULL_ROWS,
        "projected_seconds_linear": round(linear, 1),
        "projected_seconds_from_tail_rate": None if tail is None else round(tail, 1),
        "note": (
            "linear: this run's total time scaled to 2.8 M rows; from tail rate: reading and "
            "preparing scaled linearly plus every batch at the rate of this run's last fifth "
            "of batches. Both assume that rate holds as the database grows further."
        ),
    }


def run(*, rows: int = DEFAULT_ROWS, batch_size: int = 5000) -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "twcs_import",
        "description": (
            "import_twcs of a synthetic TWCS-format CSV into a fresh SQLite database (WAL), "
            "single process, default options (batches of 5,000, --resolve-after 24h)."
        ),
        "machine": machine_info(),
        "parameters": {"rows": rows, "batch_size": batch_size, "seed": SEED},
        "target": {"rows": FULL_ROWS, "seconds": TARGET_SECONDS},
    }
    with tempfile.TemporaryDirectory(prefix="socialdesk-twcs-") as tmp:
        directory = Path(tmp)
        csv_path = directory / "twcs.csv"
        print(f"  twcs: writing a {rows:,}-row TWCS file", flush=True)
        with Timer() as writing:
            written = write_twcs_csv(csv_path, rows, seed=SEED)
        result["file"] = {
            **written,
            "mib": round(csv_path.stat().st_size / 2**20, 1),
            "seconds_to_write": round(writing.wall, 1),
        }
        print(f"  twcs: importing {rows:,} rows into SQLite", flush=True)
        url = sqlite_url(directory, "twcs")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.twcs_import",
                "--batch-size",
                str(batch_size),
                "--child",
                str(csv_path),
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        if done.returncode != 0:
            raise RuntimeError(f"the import failed:\n{done.stderr[-4000:]}")
        child = json.loads(done.stdout.strip().splitlines()[-1])
    child["rows_per_second"] = round(rows / child["wall_seconds"], 1)
    checkpoints = child.pop("checkpoints")
    sampled = checkpoints[:: max(1, len(checkpoints) // 20)]
    if checkpoints and sampled[-1] != checkpoints[-1]:
        sampled.append(checkpoints[-1])
    child["progress"] = [{"events_done": n, "seconds": round(t, 1)} for n, t in sampled]
    result["import"] = child
    projection = _projection(rows, {**child, "checkpoints": checkpoints})
    result["projection_2_8m"] = projection
    measured_full = rows >= FULL_ROWS
    seconds = child["wall_seconds"] if measured_full else projection["projected_seconds_linear"]
    result["target"]["measured_at_full_size"] = measured_full
    result["target"]["met"] = seconds < TARGET_SECONDS
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def summary(result: dict[str, Any]) -> list[str]:
    imp, proj = result["import"], result["projection_2_8m"]
    rows = result["parameters"]["rows"]
    line = (
        f"twcs import: {rows:,} rows in {imp['wall_seconds']:,.1f} s "
        f"({imp['rows_per_second']:,.0f} rows/s, peak RSS {imp['peak_rss_mib']:,.0f} MiB)"
    )
    if rows < FULL_ROWS:
        line += (
            f"; 2.8 M rows projected {proj['projected_seconds_linear']:,.0f} s linear, "
            f"{proj['projected_seconds_from_tail_rate'] or 0:,.0f} s from the tail rate"
        )
    verdict = "met" if result["target"]["met"] else "NOT met"
    return [line, f"twcs target: 2.8 M rows in < {TARGET_SECONDS} s: {verdict}"]


def output_path(rows: int) -> Path:
    return RESULTS / ("twcs_import_full.json" if rows >= FULL_ROWS else "twcs_import.json")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=int(os.environ.get(ROWS_ENV) or DEFAULT_ROWS),
        help=f"rows in the generated file (default {DEFAULT_ROWS:,}; {FULL_ROWS:,} = full size)",
    )
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--note", help="free text recorded in the result (which code, why)")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        csv_path, url = args.child
        print(json.dumps(_child(Path(csv_path), url, args.batch_size)))
        return
    result = run(rows=args.rows, batch_size=args.batch_size)
    if args.note:
        result["note"] = args.note
    path = write_json(args.output or output_path(args.rows), result)
    print("\n".join(summary(result)))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
