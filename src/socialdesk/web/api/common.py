"""What every API v1 module shares: the per-request transaction, id bounds, error docs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from socialdesk.web.deps import WriteSessionDep
from socialdesk.web.problems import PROBLEM_JSON

__all__ = [
    "MAX_ID",
    "PROBLEM_RESPONSES",
    "IdPath",
    "Problem",
    "RequestModel",
    "TxSessionDep",
]

# Ids are 64-bit in both databases; a larger number in a URL must be a 4xx, not a driver
# overflow (SQLite raises OverflowError on integers it cannot store).
MAX_ID = 2**63 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The resource's id")]

# The per-request transaction commits before the response is sent (see web.deps).
TxSessionDep = WriteSessionDep


class RequestModel(BaseModel):
    """Base of every request body: a misspelt field is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error answer."""

    type: str = Field(description="Always 'about:blank': the status code says it all")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong and how to fix it, for a person")
    errors: list[dict[str, str]] | None = Field(
        default=None, description="For invalid input: one {field, message} per problem"
    )


def _problem(description: str) -> dict[str, Any]:
    # Inline schema (no $ref) so the documented media type is the real one.
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": Problem.model_json_schema()}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No API token, or an unknown or revoked one"),
    404: _problem("No such resource in the caller's workspace"),
    409: _problem("The request conflicts with the current state"),
    413: _problem("The request body is larger than the server accepts"),
    422: _problem("The input is not valid; `errors` lists each problem"),
}
