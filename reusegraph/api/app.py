"""The ASGI application: routes, lifespan (database, schema check), nothing global."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

from reusegraph.api.graphql import GraphQLEndpoint
from reusegraph.api.health import healthz, readyz
from reusegraph.api.settings import Settings
from reusegraph.schema import build_schema
from reusegraph.store.engine import Database
from reusegraph.store.errors import SchemaBehind
from reusegraph.store.schema_version import current_revision, head_revision


def create_app(settings: Settings, database_url: str) -> Starlette:
    """``database_url`` is resolved by the caller (it may be the embedded server's)."""
    db = Database(
        database_url,
        pool_size=settings.pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    schema = build_schema(max_depth=settings.max_depth, max_aliases=settings.max_aliases)
    graphql = GraphQLEndpoint(
        schema, db, max_body_bytes=settings.max_body_bytes, graphiql=settings.graphiql
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = await current_revision(db.engine)
        if current != head_revision():
            raise SchemaBehind(current, head_revision())
        try:
            yield
        finally:
            await db.dispose()

    async def home(_: object) -> RedirectResponse:
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.schema = schema
    return app
