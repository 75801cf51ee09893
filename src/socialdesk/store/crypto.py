"""Channel credentials encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The key comes from ``SOCIALDESK_SECRET_KEY`` (several keys separated by commas rotate: the
first encrypts, every one decrypts). Without it, the embedded default generates a key once and
keeps it in ``var_dir/secret.key`` (mode 0600), so a single-machine install needs no set-up.
The key is only read or made when a credential is first encrypted or decrypted.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from socialdesk.config import Settings
from socialdesk.domain.errors import SocialdeskError

__all__ = ["KEY_FILE", "CredentialCipher", "CredentialsUnreadable"]

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class CredentialsUnreadable(SocialdeskError):
    """Stored credentials that the configured key cannot decrypt (the key changed or was lost)."""

    status = 500
    title = "Credentials unreadable"


class CredentialCipher:
    """Encrypts a credentials mapping into a text token and back."""

    def __init__(
        self,
        keys: Sequence[str] | None = None,
        *,
        key_file: Path | None = None,
        shared_database: bool = False,
    ) -> None:
        if not keys and key_file is None:
            raise ValueError("a CredentialCipher needs keys or a key file")
        self._keys = [k.strip() for k in keys or () if k.strip()]
        self._key_file = key_file
        self._shared_database = shared_database
        self._fernet: MultiFernet | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialCipher:
        configured = settings.secret_key.get_secret_value() if settings.secret_key else ""
        keys = [k for k in configured.split(",") if k.strip()]
        if keys:
            return cls(keys)
        shared = not settings.resolved_database_url().startswith("sqlite")
        return cls(key_file=settings.var_dir / KEY_FILE, shared_database=shared)

    def encrypt(self, credentials: Mapping[str, str]) -> str:
        plain = json.dumps(dict(credentials), sort_keys=True, separators=(",", ":"))
        return self._ring().encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            plain = self._ring().decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise CredentialsUnreadable(
                "stored channel credentials cannot be decrypted with the configured key: "
                "set SOCIALDESK_SECRET_KEY to the key they were saved with (or list it after "
                "the new one), or connect the account again"
            ) from exc
        data = json.loads(plain)
        return {str(k): str(v) for k, v in data.items()}

    def _ring(self) -> MultiFernet:
        if self._fernet is None:
            with self._lock:
                if self._fernet is None:
                    keys = self._keys or [self._file_key()]
                    try:
                        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
                    except ValueError as exc:
                        raise CredentialsUnreadable(
                            "SOCIALDESK_SECRET_KEY is not a Fernet key (32 url-safe base64 "
                            "bytes); make one with `python -c 'from cryptography.fernet import "
                            "Fernet; print(Fernet.generate_key().decode())'`"
                        ) from exc
        return self._fernet

    def _file_key(self) -> str:
        path = self._key_file
        assert path is not None
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        try:
            # O_EXCL: two processes starting together must not each write their own key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
        log.warning(
            "SOCIALDESK_SECRET_KEY is not set: generated a key for channel credentials in %s "
            "(mode 0600); back it up, since credentials saved with it cannot be read without it",
            path,
        )
        if self._shared_database:
            log.warning(
                "the database is shared by several processes: set SOCIALDESK_SECRET_KEY to the "
                "same key in every one of them, or they cannot read each other's credentials"
            )
        return key.decode("ascii")
