"""`socialdesk analyze`: one JSON object per input line, from a file or standard input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "socialdesk.cli", "analyze"]


def run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(CLI + args, input=stdin, capture_output=True, timeout=120, check=False)


def test_each_line_gives_language_sentiment_score_and_pii(tmp_path: Path) -> None:
    source = tmp_path / "messages.txt"
    source.write_text(
        "My order #123456 is STILL missing, worst service ever\n"
        "Muchas gracias por la ayuda, ya funciona todo perfectamente\n",
        encoding="utf-8",
    )
    result = run([str(source)])
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(lines) == 2
    assert set(lines[0]) == {"language", "sentiment", "score", "pii"}
    assert lines[0]["language"] == "en"
    assert lines[0]["sentiment"] == "negative"
    assert -1 <= lines[0]["score"] < 0
    assert [p["kind"] for p in lines[0]["pii"]] == ["reference"]
    assert lines[1]["language"] == "es"


def test_standard_input_is_read_with_dash() -> None:
    result = run(["-"], stdin=b"thank you so much, you fixed it!\n")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.decode().splitlines()
    assert json.loads(line)["sentiment"] == "positive"


def test_missing_file_is_a_clear_error() -> None:
    result = run(["/nonexistent/messages.txt"])
    assert result.returncode != 0
    assert b"no such file" in result.stderr


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    source = tmp_path / "broken.txt"
    source.write_bytes(b"fine line\n\xff\xfe broken\n")
    result = run([str(source)])
    assert result.returncode != 0
    assert b"line 2" in result.stderr
