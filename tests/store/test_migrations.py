"""The Alembic revisions build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from socialdesk.bootstrap import App
from socialdesk.store.migrate import is_up_to_date, migrate
from socialdesk.store.models import Base


def test_migrated_schema_matches_the_models(app: App) -> None:
    with app.db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Full-text search lives only in the migration, by design: FTS5 tables on SQLite,
    # expression GIN indexes on PostgreSQL.
    search_objects = ("_fts", "ix_messages_search", "ix_contacts_search")
    assert [d for d in differences if not any(name in str(d) for name in search_objects)] == []


def test_migrating_twice_changes_nothing(app: App) -> None:
    assert is_up_to_date(app.db)
    migrate(app.db)
    assert is_up_to_date(app.db)
