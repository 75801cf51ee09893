"""Shared fixtures: every test that touches storage runs on SQLite and on PostgreSQL.

PostgreSQL runs when ``SOCIALDESK_TEST_DATABASE_URL`` names a server; each test session
creates its own database there and drops it at the end. Without it the PostgreSQL variants
are skipped with a visible reason (``.ci/run`` always sets it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from datasets import SHARED_DATA, shared_data  # noqa: F401 - re-exported for older tests
from socialdesk.bootstrap import App, bootstrap
from socialdesk.config import Settings
from socialdesk.store.models import Base

PG_ENV = "SOCIALDESK_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run the PostgreSQL variants")
    name = f"sd_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'socialdesk.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database URL on each backend."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def _empty_all_tables(app: App) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with app.db.engine.begin() as conn:
        if app.db.is_postgres:
            # DELETE and restarting the sequences takes milliseconds; TRUNCATE of twenty
            # tables takes most of a second, per test.
            conn.execute(text("; ".join(f"DELETE FROM {table}" for table in tables)))
            sequences = [
                f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), 1, false)"
                for t in Base.metadata.sorted_tables
                if "id" in t.c and t.c.id.autoincrement is True
            ]
            conn.execute(text("; ".join(sequences)))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[App]:
    """The composition root on an empty database (SQLite and PostgreSQL)."""
    # Every server a test starts listens on 127.0.0.1: outgoing webhooks may post there.
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path / "var",
        embedded_workers=0,
        webhook_private_targets=True,
    )
    application = bootstrap(settings)
    _empty_all_tables(application)
    try:
        yield application
    finally:
        application.db.dispose()
