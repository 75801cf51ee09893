"""REST API v1 (OpenAPI at /docs)."""

from fastapi import APIRouter

router = APIRouter()

__all__ = ["router"]
