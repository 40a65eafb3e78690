"""The ASGI application: routes, lifespan (database, schema check), nothing global."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route, WebSocketRoute

from reusegraph.api.analytics import page_routes
from reusegraph.api.compiled import CompiledPath
from reusegraph.api.deadline import RequestDeadline
from reusegraph.api.event_stream import EventStream, EventStreamOr
from reusegraph.api.exports import ProcessExport
from reusegraph.api.graphql import GraphQLEndpoint
from reusegraph.api.headers import SecurityHeaders
from reusegraph.api.health import healthz, readyz
from reusegraph.api.heap import freeze_startup_heap
from reusegraph.api.imports import FileImport
from reusegraph.api.login import BrowserSessions, LoginRoutes
from reusegraph.api.security import build_authenticator, identity_client
from reusegraph.api.settings import Settings
from reusegraph.api.shutdown import Shutdown
from reusegraph.api.subscription_socket import SubscriptionSocket
from reusegraph.api.sync_webhook import SourceSyncWebhook
from reusegraph.api.trusted import TrustedDocuments
from reusegraph.auth.callers import parse_proxies
from reusegraph.compiler import Compiler
from reusegraph.compiler.freshness import Freshness
from reusegraph.compiler.runner import CompiledReads
from reusegraph.events.live import ChangeHub
from reusegraph.events.url_guard import UrlGuard
from reusegraph.events.watches import Watches
from reusegraph.events.worker import Delivering, DeliveryWorker
from reusegraph.federation.scheduler import SyncScheduler
from reusegraph.federation.sync import SyncEngine
from reusegraph.observability.exposition import MetricsEndpoint
from reusegraph.observability.metrics import PoolGauges, RequestMetrics, observe_statement
from reusegraph.observability.request_log import RequestLog
from reusegraph.observability.requests import RequestObserver, Sink
from reusegraph.observability.statements import watch_statements
from reusegraph.observability.tracing import TracedRequests, trace_statements
from reusegraph.schema import Schema, build_schema
from reusegraph.schema.core.inputs import answer_empty_lists_for_first_zero
from reusegraph.schema.limits.budget import Limits
from reusegraph.store.data_version import DataVersionListener
from reusegraph.store.engine import Database
from reusegraph.store.errors import SchemaBehind
from reusegraph.store.rate_limits import Budget, BudgetSweeper, RateBudget
from reusegraph.store.redis_budget import RedisRateBudget
from reusegraph.store.schema_version import current_revision, head_revision


def create_app(settings: Settings, database_url: str) -> Starlette:
    """``database_url`` is resolved by the caller (it may be the embedded server's)."""
    db = Database(
        database_url,
        api_url=settings.api_database_url,
        pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    budget, redis_budget = _budget(settings, db)
    limits = Limits(settings.max_cost, budget, parse_proxies(settings.trusted_proxies))
    schema = build_schema(
        max_depth=settings.max_depth, max_aliases=settings.max_aliases, cost_limits=limits
    )
    answer_empty_lists_for_first_zero(schema._schema)
    sweeper = BudgetSweeper(budget) if isinstance(budget, RateBudget) else None
    trusted = (
        TrustedDocuments.from_setting(settings.trusted_documents)
        if settings.trusted_documents is not None
        else None
    )
    client = identity_client(settings)
    session_secret = settings.session_secret or secrets.token_urlsafe(32)
    sessions = BrowserSessions(db, session_secret)
    authenticator, issuers, keys = build_authenticator(settings, db, client, sessions.token)
    login = LoginRoutes(issuers, sessions, settings.public_url)
    sync_engine = SyncEngine(db)
    scheduler = SyncScheduler(sync_engine, settings.sync_check_seconds)
    shutdown = Shutdown(
        settings.shutdown_drain_seconds, [scheduler.stop, sync_engine.stop_background]
    )
    compiled = _compiled_path(settings, schema, db, limits)
    url_guard = UrlGuard(
        allowed_hosts=_host_patterns(settings.webhook_allowed_hosts),
        allow_private=settings.webhook_allow_private,
    )
    deliveries = (
        DeliveryWorker(db, url_guard, _delivering(settings)) if settings.webhook_worker else None
    )
    watches = (
        Watches(db, settings.webhook_scan_ms / 1000, on_events=deliveries.wake)
        if deliveries
        else None
    )
    data_version = DataVersionListener(db.url)
    graphql = GraphQLEndpoint(
        schema,
        db,
        authenticator,
        max_body_bytes=settings.max_body_bytes,
        graphiql=settings.graphiql_on,
        production=settings.production,
        trusted=trusted,
        on_issuers_changed=issuers.invalidate,
        compiled=compiled,
        url_guard=url_guard,
        data_version=data_version,
    )
    hub = ChangeHub(database_url)
    socket = SubscriptionSocket(schema, db, authenticator, hub, url_guard)
    watch_statements(db.request_engine.sync_engine, [observe_statement])
    watch_statements(db.engine.sync_engine, [observe_statement])
    trace_statements(db.request_engine.sync_engine)
    trace_statements(db.engine.sync_engine)
    pools = PoolGauges(db.request_engine.pool, compiled.reads if compiled is not None else None)
    request_log = RequestLog(
        slow_ms=settings.slow_request_ms, with_variables=settings.log_variables
    )
    observed: list[Sink] = [request_log, RequestMetrics(pools)]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = await current_revision(db.engine)
        if current != head_revision():
            raise SchemaBehind(current, head_revision())
        await db.prepare_request_login()
        if compiled is not None:
            await compiled.open()
        data_version.start()
        scheduler.start()
        if sweeper:
            sweeper.start()
        if deliveries:
            deliveries.start()
        await hub.start()
        if watches:
            watches.start()
        freeze_startup_heap()
        shutdown.install()
        try:
            yield
        finally:
            shutdown.uninstall()
            await hub.stop()
            if watches:
                await watches.stop()
            if deliveries:
                await deliveries.stop()
            if sweeper:
                await sweeper.stop()
            if redis_budget is not None:
                await redis_budget.close()
            await scheduler.stop()
            await data_version.stop()
            await sync_engine.aclose()
            await client.aclose()
            if compiled is not None:
                await compiled.close()
            await db.dispose()

    app = Starlette(
        routes=[
            *page_routes(),
            Route(
                "/graphql",
                EventStreamOr(
                    EventStream(graphql, hub),
                    RequestObserver(
                        RequestDeadline(graphql, settings.request_timeout_ms / 1000), observed
                    ),
                ),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", socket),
            Route(
                "/metrics",
                MetricsEndpoint(db, pools, settings.metrics_token).scrape,
                methods=["GET"],
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route(
                "/export/processes.{format}",
                ProcessExport(db, authenticator.principal_of),
                methods=["GET"],
            ),
            Route(
                "/import",
                FileImport(db, authenticator.principal_of, settings.max_import_bytes),
                methods=["POST"],
            ),
            Route(
                "/sources/{code}/sync",
                SourceSyncWebhook(sync_engine, authenticator),
                methods=["POST"],
            ),
            *login.routes,
        ],
        middleware=[
            Middleware(TracedRequests),
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_secret,
                session_cookie="reusegraph_session",
                same_site="lax",
                https_only=(settings.public_url or "").startswith("https://"),
                max_age=12 * 3600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.shutdown = shutdown
    app.state.deliveries = deliveries
    app.state.watches = watches
    app.state.compiled = compiled
    app.state.data_version = data_version
    app.state.hub = hub
    app.state.schema = schema
    app.state.authenticator = authenticator
    app.state.issuers = issuers
    app.state.keys = keys
    return app


def _budget(settings: Settings, db: Database) -> tuple[Budget | None, RedisRateBudget | None]:
    """The per-caller budget: in Redis when REDIS_URL is set, else in PostgreSQL."""
    if not settings.rate_limit:
        return None, None
    capacity, window = settings.rate_limit, settings.rate_limit_window_seconds
    if settings.redis_url:
        redis = RedisRateBudget.from_url(
            settings.redis_url, capacity, window, prefix=settings.redis_key_prefix
        )
        return redis, redis
    return RateBudget(capacity, window, db.engine), None


def _compiled_path(
    settings: Settings, schema: Schema, db: Database, limits: Limits
) -> CompiledPath | None:
    if not settings.compiled_reads:
        return None
    compiler = Compiler(schema._schema, schema.checks.rules, schema.checks.max_tokens)
    reads = CompiledReads(
        db.request_login.url,
        pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        viewer_key=db.viewer_key,
    )
    return CompiledPath(compiler, reads, Freshness(db), limits)


def _host_patterns(raw: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (raw or "").split(",") if p.strip())


def _delivering(settings: Settings) -> Delivering:
    return Delivering(
        poll_seconds=settings.webhook_poll_ms / 1000,
        timeout_seconds=settings.webhook_timeout_ms / 1000,
        lease_seconds=max(30.0, 3 * settings.webhook_timeout_ms / 1000),
        retry_window_seconds=float(settings.webhook_retry_seconds),
        backoff_seconds=settings.webhook_backoff_ms / 1000,
    )
