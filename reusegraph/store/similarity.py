"""Processes anywhere that solve the same problem as a given one, and what they share.

similarity = 0.4 text + 0.3 title + 0.2 codes + 0.1 IT systems, each part in [0, 1]:

text        the share of the process's terms (Danish and Norwegian stems of its title,
            summary and search words, without either language's stopwords) that occur
            in the other's full-text vector (title, summary, search words, description)
title       the Jaccard index of the two titles' trigram sets, as pg_trgm's similarity()
codes       the Jaccard index of the classification codes (KLE, FORM, KLA, K-koder)
IT systems  the Jaccard index of the IT systems the two work in

A process qualifies if it shares a term or a code, or if its title is at least
``TITLE_ROUTE`` alike (near-identical titles whose words stem differently). IT systems
alone do not qualify: hundreds of processes share the ESDH.

Each way in is an index: the full-text GIN, the code indexes, and the trigram GIN. A title
at least TITLE_ROUTE alike contains one whole group of ``title_groups`` (pigeonhole), and
``title_trigrams @> group`` is a GIN lookup that intersects a few posting lists. Lower
thresholds need groups of one trigram ("er "), which match most titles.

The text route is wide (one shared common word such as "faktura" lets in a third of a big
registry), so it is taken only when it can matter: a process found by it alone shares no
code and is less than TITLE_ROUTE alike, so it scores below ``TEXT_ONLY_BELOW``. The
title and code routes are ranked first; when their ``first``-th best already reaches that
bound, it is the exact answer. Codes and IT systems come from ``process_rollup``.
"""

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    FromClause,
    Text,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.models import Process, ProcessRollup, process_it_system
from reusegraph.store.processes import process_columns
from reusegraph.store.visibility import readable_processes

P = Process.__table__
R = ProcessRollup.__table__
PIS = process_it_system

TITLE_ROUTE = 0.7
WEIGHTS = {"text": 0.4, "title": 0.3, "codes": 0.2, "it_systems": 0.1}
TEXT_ONLY_BELOW = WEIGHTS["text"] + WEIGHTS["title"] * TITLE_ROUTE + WEIGHTS["it_systems"]
TEXT_ARRAY = ARRAY(Text)


@dataclass(frozen=True)
class Probe:
    """What of the process we compare others with."""

    id: uuid.UUID
    trigrams: list[str]
    terms: list[str]
    codes: list[str]
    it_systems: list[str]
    kle: str | None
    form: str | None
    kla: str | None
    k_codes: list[str]


@dataclass(frozen=True)
class Similar:
    row: Row[Any]
    score: float
    text: float
    title: float
    codes: float
    it_systems: float
    matched_terms: list[str]
    matched_codes: list[str]
    matched_it_systems: list[str]


def classification_codes(table: FromClause) -> ColumnElement[Any]:
    """KLE, FORM, KLA and K-koder as one set of strings such as "KLE 27.24.00"."""
    c = table.c
    return func.classification_codes(
        c.kle, c.form, c.kla, cast(c.k_codes, TEXT_ARRAY), type_=TEXT_ARRAY
    )


def it_system_codes(table: FromClause) -> ColumnElement[Any]:
    codes = (
        select(func.array_agg(cast(PIS.c.it_system_code, Text)))
        .where(PIS.c.process_id == table.c.id)
        .scalar_subquery()
    )
    return func.coalesce(codes, cast(literal([], TEXT_ARRAY), TEXT_ARRAY), type_=TEXT_ARRAY)


def _array(values: Sequence[str]) -> ColumnElement[Any]:
    return cast(literal(list(values), TEXT_ARRAY), TEXT_ARRAY)


async def probe(reader: Reader, viewer: Principal, process_id: uuid.UUID) -> Probe | None:
    """The process's comparable parts; None if it does not exist or the viewer cannot read it."""
    text = func.concat_ws(" ", P.c.title, P.c.summary, P.c.search_words)
    statement = select(
        P.c.id,
        P.c.title_trigrams,
        func.search_terms(text, type_=TEXT_ARRAY).label("terms"),
        classification_codes(P).label("codes"),
        it_system_codes(P).label("it_systems"),
        P.c.kle,
        P.c.form,
        P.c.kla,
        P.c.k_codes,
    ).where(P.c.id == process_id, readable_processes(viewer))
    row = (await reader.execute(statement)).first()
    if row is None:
        return None
    return Probe(
        id=row.id,
        trigrams=list(row.title_trigrams),
        terms=list(row.terms),
        codes=list(row.codes),
        it_systems=list(row.it_systems),
        kle=row.kle,
        form=row.form,
        kla=row.kla,
        k_codes=list(row.k_codes),
    )


def title_groups(trigrams: Sequence[str]) -> list[list[str]]:
    """Groups of trigrams such that a title at least TITLE_ROUTE alike contains a whole group.

    Such a title misses at most n - k of the n trigrams (k = ceil(TITLE_ROUTE x n)), which
    can spoil at most n - k of n - k + 1 disjoint groups (pigeonhole).
    """
    n = len(trigrams)
    count = n - math.ceil(TITLE_ROUTE * n) + 1
    ordered = sorted(trigrams)
    return [ordered[i::count] for i in range(count)] if n else []


def _routes_in(probe: Probe, *, text: bool) -> ColumnElement[bool] | None:
    """The indexed ways in: title groups and codes, and the full text when ``text``."""
    c = P.c
    routes: list[ColumnElement[bool]] = []
    if text and probe.terms:
        routes.append(c.search.op("@@")(func.any_term_query(_array(probe.terms))))
    for group in title_groups(probe.trigrams):
        routes.append(c.title_trigrams.op("@>")(_array(group)))
    if probe.kle:
        routes.append(c.kle == probe.kle)
    if probe.form:
        routes.append(c.form == probe.form)
    if probe.kla:
        routes.append(c.kla == probe.kla)
    if probe.k_codes:
        routes.append(
            c.k_codes.op("&&")(cast(literal(probe.k_codes, c.k_codes.type), c.k_codes.type))
        )
    return or_(*routes) if routes else None


def _shared(values: ColumnElement[Any], others: Sequence[str]) -> ColumnElement[int]:
    """|values ∩ others| for a set, with tsvector functions (in C): what ts_delete removes."""
    remaining = func.ts_delete(func.array_to_tsvector(values), _array(others))
    return func.cardinality(values) - func.length(remaining)


def _jaccard(shared: Any, size: Any, other: int) -> ColumnElement[float]:
    union = cast(size, Float) + float(other) - cast(shared, Float)
    return func.coalesce(
        cast(shared, Float) / func.nullif(union, 0.0, type_=Float), 0.0, type_=Float
    )


async def similar_to(
    reader: Reader, viewer: Principal, probe: Probe, *, first: int
) -> list[Similar]:
    """Best first; ties by id. One statement, or two when the text route can matter.

    ``first`` of 0 (or less) answers ``[]`` without a statement: the check whether the
    text route can matter looks at the ``first``-th best, which does not exist then.
    """
    if first <= 0:
        return []
    strong = _routes_in(probe, text=False)
    if strong is not None:
        found = await _ranked(reader, viewer, probe, strong, first=first)
        full = bool(found) and len(found) == first
        if not probe.terms or (full and found[-1].score >= TEXT_ONLY_BELOW):
            return found
    every = _routes_in(probe, text=True)
    return [] if every is None else await _ranked(reader, viewer, probe, every, first=first)


async def _ranked(
    reader: Reader, viewer: Principal, probe: Probe, routes: ColumnElement[bool], *, first: int
) -> list[Similar]:
    """The ``first`` best of the processes found by ``routes``.

    The CTE scores every process found with C-level tsvector functions only (MATERIALIZED:
    once per row, whatever join the planner picks); the set intersections shown to the
    client are computed for the ``first`` best alone.
    """
    term_hits = func.length(P.c.search) - func.length(
        func.ts_delete(P.c.search, _array(probe.terms))
    )
    parts = (
        select(
            P.c.id.label("similar_id"),
            term_hits.label("term_hits"),
            _shared(P.c.title_trigrams, probe.trigrams).label("title_shared"),
            func.cardinality(P.c.title_trigrams).label("title_size"),
            _shared(R.c.codes, probe.codes).label("code_shared"),
            func.cardinality(R.c.codes).label("code_size"),
            _shared(R.c.it_systems, probe.it_systems).label("system_shared"),
            func.cardinality(R.c.it_systems).label("system_size"),
        )
        .select_from(P.join(R, R.c.id == P.c.id))
        .where(routes, P.c.id != probe.id, readable_processes(viewer))
        .cte("parts")
        .prefix_with("MATERIALIZED")
    )
    x = parts.c
    text_part = cast(x.term_hits, Float) / float(max(len(probe.terms), 1))
    title_part = _jaccard(x.title_shared, x.title_size, len(probe.trigrams))
    code_part = _jaccard(x.code_shared, x.code_size, len(probe.codes))
    system_part = _jaccard(x.system_shared, x.system_size, len(probe.it_systems))
    total = (
        WEIGHTS["text"] * text_part
        + WEIGHTS["title"] * title_part
        + WEIGHTS["codes"] * code_part
        + WEIGHTS["it_systems"] * system_part
    )
    ranked = (
        select(
            x.similar_id,
            text_part.label("text"),
            title_part.label("title"),
            code_part.label("code_part"),
            system_part.label("system_part"),
            total.label("score"),
        )
        .where(or_(x.term_hits > 0, x.code_shared > 0, title_part >= TITLE_ROUTE))
        .order_by(total.desc(), x.similar_id)
        .limit(first)
        .subquery("ranked")
    )
    r = ranked.c
    statement = (
        select(
            *process_columns(viewer),
            func.array_intersection(
                func.tsvector_to_array(P.c.search, type_=TEXT_ARRAY),
                _array(probe.terms),
                type_=TEXT_ARRAY,
            ).label("_terms"),
            func.array_intersection(R.c.codes, _array(probe.codes), type_=TEXT_ARRAY).label(
                "_codes"
            ),
            func.array_intersection(
                R.c.it_systems, _array(probe.it_systems), type_=TEXT_ARRAY
            ).label("_it_systems"),
            r.text.label("_text"),
            r.title.label("_title"),
            r.code_part.label("_code_part"),
            r.system_part.label("_system_part"),
            r.score.label("_score"),
        )
        .select_from(P.join(ranked, r.similar_id == P.c.id).join(R, R.c.id == P.c.id))
        .order_by(r.score.desc(), P.c.id)
    )
    return [
        Similar(
            row=row,
            score=float(row._score),
            text=float(row._text),
            title=float(row._title),
            codes=float(row._code_part),
            it_systems=float(row._system_part),
            matched_terms=list(row._terms),
            matched_codes=list(row._codes),
            matched_it_systems=list(row._it_systems),
        )
        for row in (await reader.execute(statement)).all()
    ]
