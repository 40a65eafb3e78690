"""Reuse candidates: other municipalities' processes that a municipality could take over.

A candidate is a process the viewer can read, of another municipality, in OPERATION (or
IMPLEMENTATION, flagged), that works only in IT systems and with technologies the
municipality itself uses (its settings: a robot it could run as it is) and lists at least
one of them, and that the municipality has not already reused, directly or through a
process it reused (the ancestors of its processes in the reuse graph).

score = sum(weight x part) / sum(weights), each part in [0, 1]:

realised hours  MEASURED benefit records (never estimates), summed over all months, on
                a log scale where ``FULL_HOURS`` or more is 1
reuse           distinct other municipalities whose readable processes were built on it,
                on a log scale where ``FULL_REUSE`` or more is 1 (proven elsewhere)
systems         the candidate's IT systems and technologies over the municipality's
                (the Jaccard index of the two sets, since one holds the other)
codes           the share of the candidate's classification codes (KLE, FORM, KLA,
                K-koder) found on the municipality's own processes (a task it has)
assessment      the Trondheim score with equal weights (``store.scoring``)

Everything is read from ``process_rollup`` (``models.rollups``: one narrow row per process,
kept exact by triggers), one row per eligible process instead of its benefit records and
child rows; only the ``first`` best are joined to ``process``.
"""

import functools
import math
import operator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Text,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store import scoring
from reusegraph.store.engine import Reader
from reusegraph.store.enums import Phase
from reusegraph.store.models import (
    Process,
    ProcessRollup,
    ReuseLink,
    municipality_it_system,
    municipality_technology,
)
from reusegraph.store.processes import process_columns
from reusegraph.store.scoring import number
from reusegraph.store.similarity import TEXT_ARRAY
from reusegraph.store.visibility import readable_by_everyone, readable_processes

P = Process.__table__
R = ProcessRollup.__table__
L = ReuseLink.__table__
MIS, MT = municipality_it_system, municipality_technology

# Built once: an alias per request is garbage in reference cycles (see ``store.reuse``).
OWN, STEP = aliased(R, name="own"), aliased(L, name="step")
COPY, BUILT_ON = aliased(R, name="derived"), aliased(R, name="built_on")

FULL_HOURS = 10_000.0
FULL_REUSE = 10.0
PHASES = (Phase.OPERATION.value, Phase.IMPLEMENTATION.value)


@dataclass(frozen=True)
class CandidateWeights:
    """Relative weights of the parts, each 0-10, not all 0."""

    realised_hours: float = 3.0
    reuse: float = 2.0
    systems: float = 2.0
    codes: float = 1.0
    assessment: float = 1.0


@dataclass(frozen=True)
class Candidate:
    row: Row[Any]
    score: float
    realised_hours_part: float
    reuse_part: float
    systems_part: float
    codes_part: float
    assessment_part: float
    realised_hours: float
    reuse_count: int
    it_systems: list[str]
    technologies: list[str]
    matched_codes: list[str]


def _codes_array(values: Any) -> Any:
    return func.coalesce(values, literal_column("'{}'::text[]"), type_=TEXT_ARRAY)


def _log_scale(value: Any, full: float) -> ColumnElement[float]:
    ratio = func.ln(number(1.0) + cast(value, Float)) / number(math.log(1.0 + full))
    return func.least(number(1.0), ratio, type_=Float)


def _shared(values: Any, others: Any) -> ColumnElement[int]:
    """|values ∩ others| with tsvector functions (in C), for sets without duplicates."""
    remaining = func.ts_delete(func.array_to_tsvector(values), others)
    return func.cardinality(values) - func.length(remaining)


def _own(viewer: Principal, municipality: str) -> tuple[Any, Any]:
    """The ids the municipality already took over (recursively), and its own codes."""
    own, step = OWN, STEP
    own_rows = (own.c.municipality_code == municipality, readable_processes(viewer, own))
    taken = (
        select(L.c.origin_id.label("id"))
        .where(L.c.derived_id.in_(select(own.c.id).where(*own_rows)))
        .cte("taken", recursive=True)
    )
    taken = taken.union(select(step.c.origin_id).where(step.c.derived_id == taken.c.id))
    code_rows = select(func.unnest(own.c.codes).label("code")).where(*own_rows).subquery("own")
    codes = select(
        _codes_array(func.array_agg(distinct(code_rows.c.code), type_=TEXT_ARRAY)).label("codes")
    ).cte("own_codes")
    return select(taken.c.id), select(codes.c.codes).scalar_subquery()


def _reuse_count(viewer: Principal) -> ColumnElement[int]:
    """Other municipalities that built on it in a way the viewer may read.

    The rollup counts the publicly readable copies; a member may also read their own
    municipality's internal (and their own personal) copies, which add that municipality
    once where it has no public copy (never for its own processes).
    """
    if viewer.municipality is None or not viewer.is_member_of(viewer.municipality):
        return R.c.reused_by
    home = viewer.municipality
    derived = COPY
    inside_only = (
        select(L.c.origin_id)
        .select_from(L.join(derived, derived.c.id == L.c.derived_id))
        .where(derived.c.municipality_code == home, readable_processes(viewer, derived))
        .group_by(L.c.origin_id)
        .having(not_(func.bool_or(readable_by_everyone(derived))))
    )
    extra = case((and_(R.c.municipality_code != home, R.c.id.in_(inside_only)), 1), else_=0)
    return cast(R.c.reused_by + extra, Integer)


def _built_on_readable(viewer: Principal) -> ColumnElement[bool]:
    """Built on a process the viewer may read: a public one (the rollup knows), or for a
    member one of their own municipality's that only they may read."""
    if viewer.municipality is None or not viewer.is_member_of(viewer.municipality):
        return R.c.builds_on_public
    origin = BUILT_ON
    inside = (
        select(L.c.derived_id)
        .select_from(L.join(origin, origin.c.id == L.c.origin_id))
        .where(
            origin.c.municipality_code == viewer.municipality,
            readable_processes(viewer, origin),
            not_(readable_by_everyone(origin)),
        )
    )
    return or_(R.c.builds_on_public, R.c.id.in_(inside))


def _in_live_phase() -> ColumnElement[bool]:
    """As literals, not parameters: the IT-system index holds only these phases (migration
    0010), and a generic plan can use it only if the query's condition visibly implies
    the index's."""
    return R.c.phase.in_([literal_column(f"'{phase}'") for phase in PHASES])


def _eligible(viewer: Principal, municipality: str) -> tuple[Any, Any]:
    """Candidates with their raw measures, computed once each (a MATERIALIZED CTE); and the
    municipality's codes."""
    taken, own_codes = _own(viewer, municipality)
    settings_systems = select(
        _codes_array(func.array_agg(cast(MIS.c.it_system_code, Text), type_=TEXT_ARRAY))
    ).where(MIS.c.municipality_code == municipality)
    settings_techs = select(
        _codes_array(func.array_agg(cast(MT.c.technology_code, Text), type_=TEXT_ARRAY))
    ).where(MT.c.municipality_code == municipality)
    eligible = (
        select(
            R.c.id.label("candidate_id"),
            R.c.it_systems,
            R.c.technologies,
            R.c.codes.label("candidate_codes"),
            _shared(R.c.codes, own_codes).label("code_shared"),
            func.cardinality(R.c.codes).label("code_count"),
            cast(R.c.realised_hours, Float).label("hours"),
            _reuse_count(viewer).label("reuse_count"),
            scoring.weighted(
                scoring.ScoreWeights(),
                scoring.stored_dimensions(R, built_on=_built_on_readable(viewer)),
            ).label("trondheim_score"),
        )
        .where(
            R.c.municipality_code != municipality,
            _in_live_phase(),
            readable_processes(viewer, R),
            R.c.id.not_in(taken),
            R.c.it_systems.op("<@")(settings_systems.scalar_subquery()),
            R.c.technologies.op("<@")(settings_techs.scalar_subquery()),
            func.cardinality(R.c.it_systems) + func.cardinality(R.c.technologies) > 0,
        )
        .cte("eligible")
        .prefix_with("MATERIALIZED")
    )
    return eligible, own_codes


async def candidates_for(
    reader: Reader,
    viewer: Principal,
    municipality: str,
    weights: CandidateWeights,
    *,
    first: int,
) -> list[Candidate]:
    """Best first; ties by id. One statement, ranked on the rollups (``models.rollups``)."""
    eligible, own_codes = _eligible(viewer, municipality)
    e = eligible.c
    setting_count = (
        select(func.count()).select_from(MIS).where(MIS.c.municipality_code == municipality)
    ).scalar_subquery() + (
        select(func.count()).select_from(MT).where(MT.c.municipality_code == municipality)
    ).scalar_subquery()
    systems_part = cast(func.cardinality(e.it_systems) + func.cardinality(e.technologies), Float)
    parts: dict[str, ColumnElement[float]] = {
        "realised_hours": _log_scale(e.hours, FULL_HOURS),
        "reuse": _log_scale(e.reuse_count, FULL_REUSE),
        "systems": func.coalesce(
            systems_part / func.nullif(cast(setting_count, Float), number(0.0), type_=Float),
            number(0.0),
            type_=Float,
        ),
        "codes": case(
            (e.code_count > 0, cast(e.code_shared, Float) / cast(e.code_count, Float)),
            else_=number(0.0),
        ),
        "assessment": e.trondheim_score,
    }
    weighted = [number(getattr(weights, name)) * part for name, part in parts.items()]
    total_weight = sum(getattr(weights, name) for name in parts)
    total = functools.reduce(operator.add, weighted) / number(total_weight)
    ranked = (
        select(e, *(part.label(name) for name, part in parts.items()), total.label("score"))
        .order_by(total.desc(), e.candidate_id)
        .limit(first)
        .subquery("ranked")
    )
    r = ranked.c
    statement = (
        select(
            *process_columns(viewer),
            *(r[name].label(f"_{name}") for name in parts),
            r.score.label("_score"),
            r.hours.label("_hours"),
            r.reuse_count.label("_reuse_count"),
            r.it_systems.label("_it_systems"),
            r.technologies.label("_technologies"),
            func.array_intersection(r.candidate_codes, own_codes, type_=TEXT_ARRAY).label(
                "_matched_codes"
            ),
        )
        .select_from(P.join(ranked, r.candidate_id == P.c.id))
        .order_by(r.score.desc(), P.c.id)
    )
    return [_candidate(row) for row in (await reader.execute(statement)).all()]


def _candidate(row: Row[Any]) -> Candidate:
    return Candidate(
        row=row,
        score=float(row._score),
        realised_hours_part=float(row._realised_hours),
        reuse_part=float(row._reuse),
        systems_part=float(row._systems),
        codes_part=float(row._codes),
        assessment_part=float(row._assessment),
        realised_hours=float(row._hours),
        reuse_count=int(row._reuse_count),
        it_systems=sorted(row._it_systems),
        technologies=sorted(row._technologies),
        matched_codes=list(row._matched_codes),
    )
