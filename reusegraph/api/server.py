"""``reusegraph serve``: database (embedded or given), schema, demo data, then uvicorn."""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from reusegraph.api.headers import LimitedHttpToolsProtocol
from reusegraph.api.logs import configure_logging
from reusegraph.api.settings import Settings, SettingsError
from reusegraph.api.trusted import TrustedDocuments, TrustedDocumentsError
from reusegraph.api.workers import Workers, metrics_directory
from reusegraph.observability.tracing import TracingError, exporter_names
from reusegraph.store.databases import create_database, database_exists
from reusegraph.store.embedded import EmbeddedPostgres
from reusegraph.store.engine import Database
from reusegraph.store.errors import SchemaBehind
from reusegraph.store.urls import with_database

EMBEDDED_DATABASE = "reusegraph"


@dataclass
class ResolvedDatabase:
    url: str
    embedded: EmbeddedPostgres | None


NO_DATABASE = (
    "No database: DATABASE_URL is not set and the embedded PostgreSQL is off"
    " (REUSEGRAPH_EMBEDDED=false, as in the container image, or production mode)."
    " Set DATABASE_URL=postgresql://USER:PASSWORD@HOST:5432/DATABASE (PostgreSQL 14 or newer),"
    " or REUSEGRAPH_EMBEDDED=true for a throwaway demo whose data lives in"
    " REUSEGRAPH_DATA_DIR (in a container: lost with the container)."
)


class NoDatabase(SettingsError):
    """Neither DATABASE_URL nor the embedded server: stop before anything starts."""


def resolve_database(settings: Settings) -> ResolvedDatabase:
    """DATABASE_URL if set; otherwise the embedded server and its ``reusegraph`` database,
    unless that is off (``REUSEGRAPH_EMBEDDED``): then ``NoDatabase``, never a guess."""
    if settings.database_url:
        return ResolvedDatabase(settings.database_url, None)
    if not settings.embedded_on:
        raise NoDatabase(NO_DATABASE)
    embedded = EmbeddedPostgres(settings.data_dir.resolve() / "postgres")
    server = embedded.start()
    if not asyncio.run(database_exists(str(server), EMBEDDED_DATABASE)):
        asyncio.run(create_database(str(server), EMBEDDED_DATABASE))
    url = with_database(server, EMBEDDED_DATABASE).render_as_string(hide_password=False)
    return ResolvedDatabase(url, embedded)


async def prepare(
    url: str,
    *,
    migrate: bool,
    load_demo_data: bool,
    say: "Say",
    on_chunk: Callable[[str], None] | None = None,
) -> None:
    # Here, not at the top: alembic is needed to start the server, not to sync from it.
    from reusegraph.store.schema_version import current_revision, head_revision, upgrade

    db = Database(url, pool_size=2)
    try:
        current = await current_revision(db.engine)
        if current != head_revision():
            if not migrate:
                raise SchemaBehind(current, head_revision())
            say(f"Migrating the database schema to {head_revision()} ...")
            await upgrade(db.engine)
        if load_demo_data:
            from reusegraph.store.demo.loader import has_data, load_demo

            if not await has_data(db):
                started = time.monotonic()
                say("Loading the demo data (first start only) ...")
                summary = await load_demo(db, progress=on_chunk)
                say(
                    f"Loaded {summary.municipalities} municipalities and {summary.processes}"
                    f" processes in {time.monotonic() - started:.1f} s."
                )
    finally:
        await db.dispose()


class Say:
    def __call__(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


def serve(settings: Settings, *, migrate: bool = False) -> None:
    configure_logging(settings.log_level)
    say = Say()
    if settings.trusted_documents is not None:
        try:  # read again by each worker; a bad file stops the server here, with its reason
            TrustedDocuments.from_setting(settings.trusted_documents)
        except TrustedDocumentsError as error:
            say(str(error))
            raise SystemExit(2) from None
    try:  # each worker starts its own exporter; a wrong name stops the server here
        exporter_names()
    except TracingError as error:
        say(str(error))
        raise SystemExit(2) from None
    started = time.monotonic()
    database = resolve_database(settings)
    embedded = database.embedded is not None
    if embedded:
        say(f"Embedded PostgreSQL running in {settings.data_dir.resolve() / 'postgres'}")
    demo = settings.demo_data if settings.demo_data is not None else embedded
    try:
        asyncio.run(
            prepare(database.url, migrate=migrate or embedded, load_demo_data=demo, say=say)
        )
    except SchemaBehind as error:
        say(str(error))
        raise SystemExit(2) from None
    os.environ["DATABASE_URL"] = database.url
    say(f"Ready in {time.monotonic() - started:.1f} s.")
    say(f"GraphiQL: http://{settings.host}:{settings.port}/graphql")
    # uvicorn shuts down gracefully on SIGTERM (after the app's drain, ``api.shutdown``) and
    # then raises the signal again with the handler it found; Python's default would end the
    # process without its exit hooks, leaving the embedded PostgreSQL running (docker stop,
    # systemctl stop).
    signal.signal(signal.SIGTERM, _exit_quietly)
    config = uvicorn.Config(
        "reusegraph.api.asgi:app_from_environ",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        **http_options(settings),
        # Forwarded headers (client address, scheme) only from the configured proxies: the
        # client address is whose budget a request spends (``auth.callers``).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or "",
    )
    try:
        if settings.workers > 1:
            with metrics_directory():
                Workers(config, sockets=[config.bind_socket()]).run()
            return
        server = uvicorn.Server(config)
        server.run()
    except KeyboardInterrupt:  # Ctrl-C, raised again once uvicorn has shut down
        return
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def http_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's HTTP protocol, with the limit on a request's head (431 above it)."""
    return {
        "http": LimitedHttpToolsProtocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)
