"""The floor: each benchmark scenario as hand-written SQL over asyncpg, answered with orjson.

It returns the same JSON as the GraphQL query it stands for (``run.py`` compares them
before measuring), under the same visibility rule an anonymous caller gets (PUBLIC
processes and GLOBAL_PARENT umbrellas). It is what the data costs without a GraphQL layer,
an ORM-less query builder or per-field resolvers, so reusegraph's numbers divided by these
say how much of a request the gateway itself spends.

The parameters are fixed per endpoint, like the queries in ``bench/queries``; the request
body is read and parsed so both servers do the same HTTP work.

Run it as ``uvicorn --factory bench.floor:create_app`` with ``BENCH_FLOOR_DATABASE_URL``.
"""

import os
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reusegraph.store.urls import asyncpg_dsn

READABLE = "(p.visibility = 'PUBLIC' OR p.type = 'GLOBAL_PARENT')"

PAGE_SQL = f"""
SELECT p.id, p.title, m.name
FROM process p JOIN municipality m ON m.code = p.municipality_code
WHERE {READABLE} AND p.phase = ANY($1::text[])
ORDER BY p.updated_at DESC, p.id DESC
LIMIT $2
"""

IT_SYSTEMS_SQL = """
SELECT l.process_id, s.name
FROM process_it_system l JOIN it_system s ON s.code = l.it_system_code
WHERE l.process_id = ANY($1::uuid[])
ORDER BY s.name
"""

BENEFITS_SQL = """
SELECT process_id, to_char(period, 'YYYY-MM'), hours_saved::float8, cases
FROM benefit_record
WHERE process_id = ANY($1::uuid[]) AND kind = $2
ORDER BY period
"""

SERIES_SQL = """
SELECT process_id,
       array_agg(to_char(period, 'YYYY-MM') ORDER BY period),
       array_agg(hours_saved::float8 ORDER BY period),
       array_agg(cases ORDER BY period)
FROM benefit_record
WHERE process_id = ANY($1::uuid[]) AND kind = $2
GROUP BY process_id
"""

# One statement: the rank is computed once per match and the window gives totalCount.
SEARCH_SQL = f"""
WITH q AS (
  SELECT websearch_to_tsquery('danish', $1)
      || websearch_to_tsquery('norwegian', $1)
      || websearch_to_tsquery('simple', $1) AS q
)
SELECT p.title, p.summary, m.name, count(*) OVER () AS total
FROM q, process p JOIN municipality m ON m.code = p.municipality_code
WHERE {READABLE} AND m.country = ANY($2::text[]) AND p.phase = ANY($3::text[])
  AND p.search @@ q.q
ORDER BY ts_rank(p.search, q.q) DESC, p.id DESC
LIMIT $4
"""

# One scan, aggregated per municipality, month and currency first (a hash aggregate, no
# sort of the ~1 million rows), then those ~5 000 groups per (municipality, year) with
# money per currency as a second grouping set. Sums of sums are exact in numeric, so the
# results equal reusegraph's to the last digit.
SUMMARY_SQL = f"""
WITH per_month AS (
  SELECT p.municipality_code AS code, b.period, b.currency,
         sum(b.hours_saved) AS hours, sum(b.cases) AS cases,
         sum(b.hours_saved / m.fte_hours_per_year) AS fte_years,
         sum(b.money_amount) AS amount
  FROM benefit_record b
  JOIN process p ON p.id = b.process_id
  JOIN municipality m ON m.code = p.municipality_code
  WHERE {READABLE} AND b.kind = ANY($1::text[])
  GROUP BY p.municipality_code, b.period, b.currency
)
SELECT code, extract(year FROM period)::int, currency, GROUPING(currency) = 1 AS total,
       sum(hours), coalesce(sum(cases), 0), sum(fte_years), count(DISTINCT period),
       sum(amount)
FROM per_month
GROUP BY GROUPING SETS (
  (code, extract(year FROM period)::int),
  (code, extract(year FROM period)::int, currency)
)
ORDER BY 1, 2
"""

PAGE_SIZE = 100
OPERATION = ["OPERATION"]
MEASURED = "MEASURED"
SEARCH_TEXT = "faktura"
SEARCH_COUNTRIES = ["DK"]
SEARCH_PAGE = 50


def _json(data: dict[str, Any]) -> Response:
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def _parsed(request: Request) -> Any:
    return orjson.loads(await request.body())


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def _page(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(PAGE_SQL, OPERATION, PAGE_SIZE)
    return rows


async def _it_systems(
    conn: asyncpg.Connection, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, str]]]:
    systems: dict[uuid.UUID, list[dict[str, str]]] = defaultdict(list)
    for process_id, name in await conn.fetch(IT_SYSTEMS_SQL, ids):
        systems[process_id].append({"name": name})
    return systems


async def processes_benefits(request: Request) -> Response:
    """(a) 100 processes with municipality, IT systems and benefit records as objects."""
    await _parsed(request)
    async with (
        _pool(request).acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        page = await _page(conn)
        ids = [row[0] for row in page]
        systems = await _it_systems(conn, ids)
        benefits: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for process_id, period, hours, cases in await conn.fetch(BENEFITS_SQL, ids, MEASURED):
            benefits[process_id].append({"period": period, "hoursSaved": hours, "cases": cases})
    nodes = [
        {
            "title": title,
            "municipality": {"name": municipality},
            "itSystems": systems.get(pid, []),
            "benefits": benefits.get(pid, []),
        }
        for pid, title, municipality in page
    ]
    return _json({"processes": {"nodes": nodes}})


async def processes_series(request: Request) -> Response:
    """(a') The same page with each process's benefits as three parallel lists."""
    await _parsed(request)
    async with (
        _pool(request).acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        page = await _page(conn)
        ids = [row[0] for row in page]
        systems = await _it_systems(conn, ids)
        series = {
            row[0]: {"months": row[1], "hoursSaved": row[2], "cases": row[3]}
            for row in await conn.fetch(SERIES_SQL, ids, MEASURED)
        }
    empty: dict[str, list[Any]] = {"months": [], "hoursSaved": [], "cases": []}
    nodes = [
        {
            "title": title,
            "municipality": {"name": municipality},
            "itSystems": systems.get(pid, []),
            "benefitSeries": series.get(pid, empty),
        }
        for pid, title, municipality in page
    ]
    return _json({"processes": {"nodes": nodes}})


async def search(request: Request) -> Response:
    """(b) Full-text search in three languages, filtered, ranked, with the total count."""
    await _parsed(request)
    async with _pool(request).acquire() as conn:
        rows = await conn.fetch(SEARCH_SQL, SEARCH_TEXT, SEARCH_COUNTRIES, OPERATION, SEARCH_PAGE)
    nodes = [
        {"title": title, "summary": summary, "municipality": {"name": municipality}}
        for title, summary, municipality, _ in rows
    ]
    total = rows[0][3] if rows else 0
    return _json({"processes": {"totalCount": total, "nodes": nodes}})


async def benefit_summary(request: Request) -> Response:
    """(c) Measured benefits per municipality and year; money per currency, never mixed."""
    await _parsed(request)
    async with _pool(request).acquire() as conn:
        rows = await conn.fetch(SUMMARY_SQL, [MEASURED])
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    money: dict[tuple[str, int], list[tuple[str, Decimal]]] = defaultdict(list)
    for code, year, currency, total, hours, cases, fte_years, months, amount in rows:
        if not total:
            if currency is not None:
                money[(code, year)].append((currency, amount))
            continue
        groups[(code, year)] = {
            "key": {"municipalityCode": code, "year": year},
            "hoursSaved": round(float(hours), 2),
            "cases": int(cases),
            "fte": round(float(fte_years) * 12 / months, 3) if months else 0.0,
            "money": [],
        }
    for key, amounts in money.items():
        groups[key]["money"] = [
            {"amount": float(amount), "currency": currency} for currency, amount in sorted(amounts)
        ]
    return _json({"benefitSummary": list(groups.values())})


async def healthz(_: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


ROUTES = {
    "/processes_benefits": processes_benefits,
    "/processes_series": processes_series,
    "/search": search,
    "/benefit_summary": benefit_summary,
}


def create_app() -> Starlette:
    """Factory for uvicorn: one pool per worker process, sized like reusegraph's (10)."""
    dsn = asyncpg_dsn(os.environ["BENCH_FLOOR_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route(path, handler, methods=["POST"]) for path, handler in ROUTES.items()]
    return Starlette(routes=[*routes, Route("/healthz", healthz)], lifespan=lifespan)
