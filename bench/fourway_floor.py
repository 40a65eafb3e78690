"""The four-way benchmark's floor: one SQL statement per shape, PostgreSQL builds the JSON.

What the data costs with no GraphQL layer at all: the statement returns the whole
response body as text (json_agg/json_build_object), the server passes it through. The
anonymous visibility rule is written out (PUBLIC or GLOBAL_PARENT; links need both ends
readable) and the server connects as the bench's owner, so PostgreSQL evaluates no RLS
for it while reusegraph and PostGraphile both run under reusegraph_api's policies.

Run it as ``uvicorn --factory bench.fourway_floor:create_app`` with
``BENCH_FLOOR_DATABASE_URL``; ``POST /<shape>`` answers that shape (``SHAPES``).
"""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.fourway_lineage import floor_lineage
from reusegraph.store.urls import asyncpg_dsn

READABLE_AS = "({p}.visibility = 'PUBLIC' OR {p}.type = 'GLOBAL_PARENT')"
READABLE = READABLE_AS.format(p="p")
ONE_PROCESS = uuid.UUID("4402d744-5c80-5fca-9ade-1e3613c08ba9")

PAGE_SQL = f"""
WITH page AS (
  SELECT p.id, p.title, p.phase, p.municipality_code, p.updated_at FROM process p
  WHERE {READABLE} ORDER BY p.updated_at DESC, p.id DESC LIMIT $1
)
SELECT json_build_object('data', json_build_object('processes', json_build_object('nodes',
  coalesce(json_agg(json_build_object(
    'title', page.title, 'phase', page.phase,
    'municipality', json_build_object('code', m.code, 'name', m.name)
  ) ORDER BY page.updated_at DESC, page.id DESC), '[]'))))::text
FROM page JOIN municipality m ON m.code = page.municipality_code
"""

BENEFITS_SQL = f"""
WITH page AS (
  SELECT p.id, p.title, p.phase, p.municipality_code, p.updated_at FROM process p
  WHERE {READABLE} ORDER BY p.updated_at DESC, p.id DESC LIMIT $1
)
SELECT json_build_object('data', json_build_object('processes', json_build_object('nodes',
  coalesce(json_agg(json_build_object(
    'title', page.title, 'phase', page.phase,
    'municipality', json_build_object('code', m.code, 'name', m.name),
    'itSystems', (
      SELECT coalesce(json_agg(json_build_object('name', s.name) ORDER BY s.name), '[]')
      FROM process_it_system l JOIN it_system s ON s.code = l.it_system_code
      WHERE l.process_id = page.id),
    'benefits', (
      SELECT coalesce(json_agg(json_build_object(
        'period', to_char(b.period, 'YYYY-MM'), 'kind', b.kind,
        'hoursSaved', b.hours_saved, 'cases', b.cases) ORDER BY b.period, b.kind), '[]')
      FROM benefit_record b WHERE b.process_id = page.id)
  ) ORDER BY page.updated_at DESC, page.id DESC), '[]'))))::text
FROM page JOIN municipality m ON m.code = page.municipality_code
"""

REUSE_SQL = f"""
SELECT json_build_object('data', json_build_object('process', (
  SELECT json_build_object(
    'title', p.title,
    'reusedFrom', (
      SELECT coalesce(json_agg(json_build_object(
        'kind', l.kind, 'reusedOn', l.reused_on,
        'origin', json_build_object('title', o.title,
                                    'municipality', json_build_object('code', o.municipality_code))
      ) ORDER BY l.id), '[]')
      FROM reuse_link l JOIN process o ON o.id = l.origin_id
      WHERE l.derived_id = p.id AND (o.visibility = 'PUBLIC' OR o.type = 'GLOBAL_PARENT')),
    'reusedBy', (
      SELECT coalesce(json_agg(json_build_object(
        'kind', l.kind, 'reusedOn', l.reused_on,
        'derived', json_build_object('title', d.title,
                                     'municipality', json_build_object('code', d.municipality_code))
      ) ORDER BY l.id), '[]')
      FROM reuse_link l JOIN process d ON d.id = l.derived_id
      WHERE l.origin_id = p.id AND (d.visibility = 'PUBLIC' OR d.type = 'GLOBAL_PARENT')),
    'lineage', {floor_lineage(READABLE_AS)})
  FROM process p WHERE p.id = $1 AND {READABLE})))::text
"""

Handler = Callable[[Request], Awaitable[Response]]


def _endpoint(sql: str, *args: object) -> Handler:
    async def handler(request: Request) -> Response:
        await request.body()  # read like the GraphQL servers do; its content is fixed here
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as conn:
            body: str = await conn.fetchval(sql, *args)
        return Response(body, media_type="application/json")

    return handler


SHAPES: dict[str, Handler] = {
    "1_processes_100": _endpoint(PAGE_SQL, 100),
    "2_with_benefits": _endpoint(BENEFITS_SQL, 100),
    "3_one_process_reuse": _endpoint(REUSE_SQL, ONE_PROCESS),
    "4_processes_10": _endpoint(PAGE_SQL, 10),
    "4_processes_500": _endpoint(PAGE_SQL, 500),
}


async def healthz(_: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


def create_app() -> Starlette:
    """Factory for uvicorn: one asyncpg pool per worker, sized like reusegraph's (10)."""
    dsn = asyncpg_dsn(os.environ["BENCH_FLOOR_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route(f"/{key}", handler, methods=["POST"]) for key, handler in SHAPES.items()]
    return Starlette(routes=[*routes, Route("/healthz", healthz)], lifespan=lifespan)
