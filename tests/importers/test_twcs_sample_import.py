"""The real TWCS sample through `socialdesk import twcs` and `socialdesk report frt`.

The reference figures come from ../shared/data/README.md. Each backend imports the file once
per form (as published, and re-exported with a pandas index column) into its own database.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from twcs_factories import run_cli, shared_data, with_index_column

from socialdesk.store.db import Database
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Event,
    Message,
)

BACKENDS = ["sqlite", "postgresql"]
FORMS = ["as-published", "reexport"]


@contextmanager
def fresh_database(request: pytest.FixtureRequest, backend: str, workdir: Path) -> Iterator[str]:
    """An empty database of its own (the shared test database is emptied by every test)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'sample.db'}"
        return
    base: str = request.getfixturevalue("postgresql_url")
    name = f"{make_url(base).database}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class SampleImport:
    url: str
    workdir: Path
    csv_path: Path
    first_run: CompletedProcess[str]

    def cli(self, *args: str) -> CompletedProcess[str]:
        return run_cli(self.url, self.workdir, *args)

    def count(self, model: Any, *where: Any) -> int:
        db = Database(self.url)
        try:
            with db.read_session() as session:
                return int(
                    session.scalar(select(func.count()).select_from(model).where(*where)) or 0
                )
        finally:
            db.dispose()

    def row_counts(self) -> dict[str, int]:
        return {
            m.__tablename__: self.count(m)
            for m in (Message, Conversation, Contact, ChannelAccount, Event)
        }

    @cached_property
    def frt(self) -> dict[str, dict[str, Any]]:
        result = self.cli("report", "frt", "--by", "account", "--format", "json")
        assert result.returncode == 0, result.stderr
        accounts: dict[str, dict[str, Any]] = json.loads(result.stdout)["accounts"]
        return accounts


@pytest.fixture(
    scope="module",
    params=[(backend, form) for backend in BACKENDS for form in FORMS],
    ids=lambda p: "-".join(p),
)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SampleImport]:
    backend, form = request.param
    source = shared_data(request.config, "twcs_sample.csv")
    workdir = tmp_path_factory.mktemp(f"twcs-{backend}-{form}")
    path = source if form == "as-published" else with_index_column(source, workdir / "re.csv")
    with fresh_database(request, backend, workdir) as url:
        first_run = run_cli(url, workdir, "import", "twcs", str(path))
        assert first_run.returncode == 0, first_run.stderr
        yield SampleImport(url=url, workdir=workdir, csv_path=path, first_run=first_run)


@pytest.mark.slow
def test_sample_threads_into_733_conversations_holding_2337_messages(
    sample: SampleImport,
) -> None:
    assert sample.count(Conversation) == 733
    assert sample.count(Message, Message.conversation_id.is_not(None)) == 2337


@pytest.mark.slow
def test_sample_creates_49_brand_accounts(sample: SampleImport) -> None:
    assert sample.count(ChannelAccount, ChannelAccount.platform == "twitter") == 49


@pytest.mark.slow
@pytest.mark.parametrize(
    ("handle", "conversations", "responded", "median_seconds"),
    [("TMobileHelp", 58, 53, 159), ("comcastcares", 51, 50, 702), ("Uber_Support", 82, 81, 1242)],
)
def test_sample_frt_report_gives_the_reference_figures(
    sample: SampleImport, handle: str, conversations: int, responded: int, median_seconds: int
) -> None:
    assert sample.frt[handle] == {
        "conversations": conversations,
        "responded": responded,
        "median_first_response_seconds": median_seconds,
    }


@pytest.mark.slow
def test_sample_rows_broken_across_lines_are_reported_by_line(sample: SampleImport) -> None:
    # A tweet whose text was cut by raw newlines: its first line keeps the tweet, the stray
    # remainder is skipped; both are named by line.
    problems = sample.first_run.stderr
    assert re.search(r"line 1194: row ends early; .* taken as empty \(kept\)", problems)
    assert len(re.findall(r"line \d+: expected \d fields, found \d \(skipped\)", problems)) == 1
    assert "imported 2,501 new message(s) from 2,501 row(s)" in sample.first_run.stdout
    assert "1 malformed row(s) skipped" in sample.first_run.stdout


@pytest.mark.slow
def test_importing_the_sample_again_adds_nothing(sample: SampleImport) -> None:
    before = sample.row_counts()

    again = sample.cli("import", "twcs", str(sample.csv_path))

    assert again.returncode == 0, again.stderr
    assert "imported 0 new message(s)" in again.stdout
    assert "0 new conversation(s)" in again.stdout
    assert "2,501 already present" in again.stdout
    assert sample.row_counts() == before
