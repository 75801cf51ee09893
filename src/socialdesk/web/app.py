"""The ASGI application: built from the composition root, never at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from socialdesk import __version__
from socialdesk.bootstrap import App
from socialdesk.jobs.queue import subscribe_wakeup
from socialdesk.web.limits import BodySizeLimit
from socialdesk.web.problems import install_problem_handlers

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(app: App, *, run_workers: bool | None = None) -> FastAPI:
    """The web app; with ``run_workers`` the embedded job workers run in background threads."""
    if run_workers is None:
        workers_wanted = app.settings.embedded_workers
    else:
        workers_wanted = max(1, app.settings.embedded_workers) if run_workers else 0

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        threads: list[threading.Thread] = []
        workers = [app.worker() for _ in range(workers_wanted)]
        if workers:
            app.start_timers()
        for worker in workers:
            subscribe_wakeup(worker.wake)
            thread = threading.Thread(
                target=worker.run_forever, name="socialdesk-worker", daemon=True
            )
            thread.start()
            threads.append(thread)
        try:
            yield
        finally:
            for cleanup in api.state.cleanups:
                cleanup()
            for worker in workers:
                worker.stop()
            for thread in threads:
                thread.join(timeout=10)

    api = FastAPI(
        title="socialdesk",
        version=__version__,
        description=(
            "Social customer care: one inbox for public posts and private messages. "
            "Authenticate with `Authorization: Bearer <token>` (`socialdesk token create`). "
            "Errors are `application/problem+json`."
        ),
        lifespan=lifespan,
    )
    api.state.socialdesk = app
    api.state.cleanups = []
    install_problem_handlers(api)
    api.add_middleware(BodySizeLimit, max_bytes=app.settings.max_body_bytes)
    # After BodySizeLimit, so it wraps it: the widget can read a 413 too.
    from socialdesk.web.hooks.webchat import WebchatCors

    api.add_middleware(WebchatCors)

    from socialdesk.web.api import router as api_router
    from socialdesk.web.hooks import router as hooks_router
    from socialdesk.web.ui import install_ui

    api.include_router(api_router, prefix="/api/v1")
    api.include_router(hooks_router, prefix="/hooks")
    install_ui(api)
    from socialdesk.web.widget import install_widget

    install_widget(api)

    @api.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api
