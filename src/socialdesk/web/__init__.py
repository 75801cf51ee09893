"""FastAPI: REST API v1 under /api/v1, platform webhooks under /hooks."""
