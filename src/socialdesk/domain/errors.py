"""Domain errors: values a user can act on, mapped once to HTTP problems in ``web/``."""

from __future__ import annotations


class SocialdeskError(Exception):
    """Base class; ``status`` is the HTTP status the web layer answers with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(SocialdeskError):
    status = 404
    title = "Not found"


class InvalidInput(SocialdeskError):
    status = 422
    title = "Invalid input"


class Conflict(SocialdeskError):
    status = 409
    title = "Conflict"


class Forbidden(SocialdeskError):
    status = 403
    title = "Forbidden"


class SendNotAllowed(SocialdeskError):
    """The platform's rules forbid this send now (e.g. outside a 24-hour messaging window)."""

    status = 409
    title = "Send not allowed by the platform"
