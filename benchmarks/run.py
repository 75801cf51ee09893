"""Run every benchmark (``make bench``): each in its own process, results in benchmarks/results/.

Each benchmark module has a ``main()`` that measures, writes its JSON file(s) under
``benchmarks/results/`` and prints its own lines; this runner starts them one after the other
(a separate process each, so that one's memory or failure does not touch the next) and ends
with a short summary. Benchmarks measure, they never assert: a missed target is reported in the
JSON (``target.met``), not as a failure.

    python -m benchmarks.run                     # all of them
    python -m benchmarks.run --only ingest       # some of them
    python -m benchmarks.run --twcs-rows 2811774 # the TWCS import at the corpus' full size

Sizes can also be set through the environment: ``SOCIALDESK_BENCH_TWCS_ROWS`` (TWCS rows) and
``SOCIALDESK_BENCH_POSTGRES_URL`` (PostgreSQL server for the ingest benchmark; skipped, with the
reason in the JSON, when unreachable).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Module (under benchmarks/) -> what it measures. A module listed here but absent is skipped.
BENCHMARKS: dict[str, str] = {
    "ingest": "events/s through the ingest pipeline vs a bare insert, SQLite and PostgreSQL",
    "twcs_import": "TWCS import at scale on SQLite, projected to 2.8 M rows",
    "ui": "server time of the agent workspace pages",
    "sentiment": "sentiment and language detection accuracy and speed",
    "routing": "messages/s through enrichment and 500 rules; sentiment macro recall",
    "webhooks": "webhook acknowledgement p99 at 500 requests/s, every event stored",
}


def _summarize(name: str, data: Any) -> list[str]:
    """The module's own ``summary(result)`` lines when it has one."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        summary = getattr(module, "summary", None)
        return list(summary(data)) if callable(summary) else []
    except Exception as exc:  # a summary is a courtesy; the JSON file is the result
        return [f"(no summary: {type(exc).__name__}: {exc})"]


def _summary_lines(name: str, started: float) -> list[str]:
    """For each result file the benchmark (re)wrote: its path, target verdict and summary."""
    lines = []
    for path in sorted(RESULTS.glob("*.json")):
        if path.stat().st_mtime < started:
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        target = data.get("target") if isinstance(data, dict) else None
        verdict = ""
        if isinstance(target, dict) and "met" in target:
            verdict = " (target met)" if target["met"] else " (target NOT met)"
        lines.append(f"    {path.relative_to(ROOT)}{verdict}")
        lines.extend(f"      {line}" for line in _summarize(name, data))
    return lines or [f"    ({name} wrote no file under {RESULTS.relative_to(ROOT)})"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names: " + ", ".join(BENCHMARKS))
    parser.add_argument("--twcs-rows", type=int, help="rows for the TWCS import benchmark")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    env = dict(os.environ)
    if args.twcs_rows:
        env["SOCIALDESK_BENCH_TWCS_ROWS"] = str(args.twcs_rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    outcome: list[tuple[str, str, float, list[str]]] = []
    for name in names:
        if not (ROOT / "benchmarks" / f"{name}.py").exists():
            outcome.append((name, "absent", 0.0, []))
            continue
        print(f"== {name}: {BENCHMARKS[name]}", flush=True)
        started = time.time()
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT, env=env)
        seconds = time.time() - started
        status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        outcome.append((name, status, seconds, _summary_lines(name, started)))
    print("\n== summary")
    for name, status, seconds, files in outcome:
        print(f"  {name:<12} {status:<18} {seconds:7.1f} s")
        for line in files:
            print(line)
    return 0 if all(status in ("ok", "absent") for _, status, _, _ in outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
