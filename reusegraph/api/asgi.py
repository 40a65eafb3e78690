"""Entry point for ASGI servers: ``uvicorn --factory reusegraph.api.asgi:app_from_environ``.

Needs DATABASE_URL (``reusegraph serve`` sets it when it starts the embedded PostgreSQL).
"""

import os

from starlette.applications import Starlette

from reusegraph.api.logs import configure_logging
from reusegraph.api.settings import Settings


def app_from_environ() -> Starlette:
    from reusegraph.api.app import create_app
    from reusegraph.observability import tracing

    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    tracing.configure()  # here: each worker process exports from threads of its own
    url = settings.database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set; run `reusegraph serve` for the embedded one.")
    return create_app(settings, url)
