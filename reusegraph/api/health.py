"""Liveness and readiness for orchestrators and load balancers."""

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse

from reusegraph.api.shutdown import Shutdown
from reusegraph.store.engine import Database
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.schema_version import current_revision, head_revision


async def healthz(request: Request) -> JSONResponse:
    """Alive: the process answers. Says nothing about the database."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready: not shutting down, the database answers and its schema is the one this code
    expects. Draining (``api.shutdown``) comes first: a balancer must stop sending at once."""
    shutdown: Shutdown | None = getattr(request.app.state, "shutdown", None)
    if shutdown is not None and shutdown.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    db: Database = request.app.state.db
    if not await db.ping():
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    try:
        current = await current_revision(db.engine)
    except (DatabaseUnavailable, OSError, SQLAlchemyError):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if current != head_revision():
        return JSONResponse(
            {"status": "unavailable", "database": "schema behind; run `reusegraph migrate`"},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "revision": current})
