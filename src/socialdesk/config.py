"""Settings read once from the environment (prefix ``SOCIALDESK_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable; one instance per process (see :func:`get_settings`)."""

    model_config = SettingsConfigDict(env_prefix="SOCIALDESK_", extra="ignore")

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite in WAL mode at ./var/socialdesk.db",
    )
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest request body accepted by the API and webhooks, in bytes.
    max_body_bytes: int = 1_000_000
    # Workers started inside `socialdesk serve` (0 disables them).
    embedded_workers: int = 1
    # How long a claimed job stays locked before another worker may take it over.
    job_lease_seconds: int = 60
    job_poll_seconds: float = 0.5
    # Fernet key(s) encrypting channel credentials at rest, comma-separated: the first
    # encrypts, all decrypt (key rotation). Unset: a key kept in var_dir/secret.key.
    secret_key: SecretStr | None = None
    # Outgoing webhooks may post to private, loopback and link-local addresses (an intranet
    # receiver); off by default, so that a subscription cannot reach the server's own network.
    webhook_private_targets: bool = False

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'socialdesk.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
