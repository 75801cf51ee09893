"""Test data for the TWCS importer: small synthetic CSV files, and the CLI run as a process.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

HEADER = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
T0 = datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)


def twitter_time(moment: datetime) -> str:
    """``Tue Oct 31 22:10:47 +0000 2017``, as the corpus writes dates."""
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")


@dataclass
class Tweet:
    tweet_id: int
    author_id: str
    inbound: bool
    created_at: datetime
    text: str
    parent_id: int | None = None
    responses: list[Tweet] = field(default_factory=list)

    def row(self) -> list[str]:
        return [
            str(self.tweet_id),
            self.author_id,
            "True" if self.inbound else "False",
            twitter_time(self.created_at),
            self.text,
            ",".join(str(r.tweet_id) for r in self.responses),
            "" if self.parent_id is None else f"{self.parent_id}.0",  # floats, as in the corpus
        ]


@dataclass
class TwcsFile:
    """Builds a TWCS file tweet by tweet; times are hours after :data:`T0`; ``reply_to`` is a
    tweet of the file or the bare id of one that is not in it.

    Reply links are written both ways, as in the corpus (``response_tweet_id`` on the parent,
    ``in_response_to_tweet_id`` on the reply).
    """

    tweets: list[Tweet] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))

    def _add(
        self, author: str, inbound: bool, hours: float, reply_to: Tweet | int | None, text: str
    ) -> Tweet:
        tweet = Tweet(
            tweet_id=next(self._ids),
            author_id=author,
            inbound=inbound,
            created_at=T0 + timedelta(hours=hours),
            text=text,
            parent_id=reply_to.tweet_id if isinstance(reply_to, Tweet) else reply_to,
        )
        if isinstance(reply_to, Tweet):
            reply_to.responses.append(tweet)
        self.tweets.append(tweet)
        return tweet

    def customer(
        self,
        author: str = "115712",
        *,
        hours: float = 0,
        reply_to: Tweet | int | None = None,
        text: str = "@AcmeHelp my package is late again",
    ) -> Tweet:
        return self._add(author, True, hours, reply_to, text)

    def brand(
        self,
        handle: str = "AcmeHelp",
        *,
        hours: float = 0,
        reply_to: Tweet | int | None = None,
        text: str = "@115712 Sorry about that! Please DM us your order number.",
    ) -> Tweet:
        return self._add(handle, False, hours, reply_to, text)

    def rows(self) -> list[list[str]]:
        return [t.row() for t in self.tweets]

    def write(self, path: Path, *, extra_rows: Sequence[Sequence[str]] = ()) -> Path:
        write_csv(path, [list(HEADER), *self.rows(), *map(list, extra_rows)])
        return path


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path


def with_index_column(source: Path, target: Path) -> Path:
    """The pandas re-export form: an extra first column whose header is empty."""
    with source.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], [row for row in rows[1:] if row]  # blank lines stay out
    return write_csv(target, [["", *header], *([str(i), *row] for i, row in enumerate(body))])


def shared_data(config: pytest.Config, name: str) -> Path:
    """``shared_data`` of tests/conftest.py: a file of ../shared/data, or a skip.

    Reached through pytest's plugin manager, because ``import conftest`` finds whichever
    folder's conftest.py pytest loaded last (tests/web has one).
    """
    root_conftest = config.pluginmanager.get_plugin(
        str(Path(__file__).resolve().parents[1] / "conftest.py")
    )
    assert root_conftest is not None, "tests/conftest.py is not loaded"
    path: Path = root_conftest.shared_data(name)
    return path


def run_cli(
    database_url: str, cwd: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``socialdesk ARGS`` as a separate process on the database under test."""
    env = {
        **os.environ,
        "SOCIALDESK_DATABASE_URL": database_url,
        "SOCIALDESK_VAR_DIR": str(cwd / "var"),
        "COLUMNS": "200",  # no wrapped error messages
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "socialdesk.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
