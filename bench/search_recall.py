"""Recall@10 of the process search across Danish and Norwegian, before and after the folds,
and how alike ``similarProcesses`` finds the pairs' titles.

Each row of ``bench/data/da_no_process_pairs.tsv`` is one kind of process in both languages.
The Danish titles are indexed as the process table's ``search`` vector indexes titles; each
Norwegian title is searched (and each Danish one, the other way), and a pair counts as found
when its other-language title is among the first 10 by rank. "Before" is the query without
the spelling folds of ``reusegraph.store.search_normaliser``, "after" is ``ts_query``.
Title similarity is the trigram Jaccard index of the pair's titles as stored before
migration 0022 (``trigram_set(title)``) and after (``trigram_set(fold_title(title))``);
a pair counts when it reaches ``similarity.TITLE_ROUTE``, alike enough to be found by the
title alone.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.search_recall
"""

import asyncio
import csv
import os
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, func
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from reusegraph.store.processes import ts_query
from reusegraph.store.similarity import TITLE_ROUTE
from reusegraph.store.urls import asyncpg_dsn

PAIRS = Path(__file__).parent / "data" / "da_no_process_pairs.tsv"
VECTOR = (
    "to_tsvector('danish', title) || to_tsvector('norwegian', title)"
    " || to_tsvector('simple', title)"
)


def plain_query(text: str) -> ColumnElement[Any]:
    return (
        func.websearch_to_tsquery("danish", text)
        .op("||")(func.websearch_to_tsquery("norwegian", text))
        .op("||")(func.websearch_to_tsquery("simple", text))
    )


def sql(query: ColumnElement[Any]) -> tuple[str, list[Any]]:
    """The query as asyncpg SQL with $n parameters, so the folds run in PostgreSQL itself."""
    compiled = query.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
    names = compiled.positiontup or []
    return compiled.string, [compiled.params[name] for name in names]


async def recall(
    connection: asyncpg.Connection, table: str, pairs: list[tuple[str, str]]
) -> tuple[int, int]:
    found = {"before": 0, "after": 0}
    for wanted, text in pairs:
        for name, query in (("before", plain_query(text)), ("after", ts_query(text))):
            q, params = sql(query)
            top = await connection.fetch(
                f"SELECT title FROM {table} WHERE v @@ ({q})"
                f" ORDER BY ts_rank(v, ({q})) DESC LIMIT 10",
                *params,
            )
            found[name] += wanted in {row["title"] for row in top}
    return found["before"], found["after"]


def pairs() -> list[tuple[str, str]]:
    with PAIRS.open(encoding="utf-8") as f:
        return [(r["danish"], r["norwegian"]) for r in csv.DictReader(f, delimiter="\t")]


async def measure(url: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) found counts: Norwegian queries for Danish titles, then the reverse."""
    rows = pairs()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for lang, titles in (("da", [d for d, _ in rows]), ("no", [n for _, n in rows])):
            await connection.execute(f"CREATE TEMP TABLE t_{lang} (title text, v tsvector)")
            await connection.executemany(
                f"INSERT INTO t_{lang} (title, v) SELECT $1, {VECTOR.replace('title', '$1::text')}",
                [(t,) for t in titles],
            )
        no_da = await recall(connection, "t_da", [(d, n) for d, n in rows])
        da_no = await recall(connection, "t_no", [(n, d) for d, n in rows])
    finally:
        await connection.close()
    return no_da, da_no


async def title_alike(url: str) -> tuple[int, int]:
    """(before, after): pairs whose titles are at least TITLE_ROUTE alike."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        alike = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE array_jaccard(trigram_set(d), trigram_set(n)) >= $3),"
            " count(*) FILTER (WHERE array_jaccard(trigram_set(fold_title(d)),"
            " trigram_set(fold_title(n))) >= $3)"
            " FROM unnest($1::text[], $2::text[]) AS p(d, n)",
            [d for d, _ in pairs()],
            [n for _, n in pairs()],
            TITLE_ROUTE,
        )
    finally:
        await connection.close()
    return alike[0], alike[1]


async def main() -> None:
    url = os.environ["DATABASE_URL"]
    no_da, da_no = await measure(url)
    before, after = await title_alike(url)
    print(f"pairs: {len(pairs())}")
    print(f"Norwegian query -> Danish process, recall@10: before {no_da[0]}, after {no_da[1]}")
    print(f"Danish query -> Norwegian process, recall@10: before {da_no[0]}, after {da_no[1]}")
    print(f"titles at least {TITLE_ROUTE} alike: before {before}, after {after}")


if __name__ == "__main__":
    asyncio.run(main())
