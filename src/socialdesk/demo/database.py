"""Where the demo keeps its data: a SQLite file of its own unless a database URL is configured."""

from __future__ import annotations

from pathlib import Path

from socialdesk.config import Settings

__all__ = ["demo_database_path", "demo_settings", "remove_sqlite_database"]


def demo_database_path(settings: Settings) -> Path:
    return settings.var_dir / "demo.db"


def demo_settings(settings: Settings) -> tuple[Settings, Path | None]:
    """Settings for the demo, and the demo's own SQLite file when it uses one.

    A configured ``SOCIALDESK_DATABASE_URL`` is used as it is (and never deleted); otherwise the
    demo runs on ``<var_dir>/demo.db`` so it cannot touch ``socialdesk.db``.
    """
    if settings.database_url:
        return settings, None
    path = demo_database_path(settings)
    url = f"sqlite:///{path.as_posix()}"
    return settings.model_copy(update={"database_url": url}), path


def remove_sqlite_database(path: Path) -> bool:
    """Delete a SQLite file with its WAL companions; True when there was something to delete."""
    removed = False
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()
            removed = True
    return removed
