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
"""

import functools
import math
import operator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Text,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store import scoring
from reusegraph.store.engine import Reader
from reusegraph.store.enums import BenefitKind, Phase
from reusegraph.store.models import (
    BenefitRecord,
    Process,
    ReuseLink,
    municipality_it_system,
    municipality_technology,
    process_it_system,
    process_technology,
)
from reusegraph.store.processes import process_columns
from reusegraph.store.scoring import number
from reusegraph.store.similarity import TEXT_ARRAY, classification_codes
from reusegraph.store.visibility import readable_processes

P = Process.__table__
L = ReuseLink.__table__
B = BenefitRecord.__table__
PIS, PT = process_it_system, process_technology
MIS, MT = municipality_it_system, municipality_technology

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


def _own(viewer: Principal, municipality: str) -> tuple[Any, Any]:
    """The ids the municipality already took over (recursively), and its own codes."""
    own = aliased(P, name="own")
    own_rows = (own.c.municipality_code == municipality, readable_processes(viewer, own))
    step = aliased(L, name="step")
    taken = (
        select(L.c.origin_id.label("id"))
        .where(L.c.derived_id.in_(select(own.c.id).where(*own_rows)))
        .cte("taken", recursive=True)
    )
    taken = taken.union(select(step.c.origin_id).where(step.c.derived_id == taken.c.id))
    code_rows = (
        select(func.unnest(classification_codes(own)).label("code"))
        .where(*own_rows)
        .subquery("own_codes")
    )
    codes = select(func.array_agg(distinct(code_rows.c.code), type_=TEXT_ARRAY))
    return select(taken.c.id), _codes_array(codes.scalar_subquery())


def _eligible(viewer: Principal, municipality: str) -> Any:
    """Candidates with their raw measures, computed once each (a MATERIALIZED CTE)."""
    taken, own_codes = _own(viewer, municipality)
    settings_systems = select(MIS.c.it_system_code).where(MIS.c.municipality_code == municipality)
    settings_techs = select(MT.c.technology_code).where(MT.c.municipality_code == municipality)
    derived = aliased(P, name="derived")
    reuse_count = (
        select(func.count(distinct(derived.c.municipality_code)))
        .select_from(L.join(derived, derived.c.id == L.c.derived_id))
        .where(
            L.c.origin_id == P.c.id,
            derived.c.municipality_code != P.c.municipality_code,
            readable_processes(viewer, derived),
        )
        .scalar_subquery()
    )
    hours = (
        select(func.sum(B.c.hours_saved))
        .where(B.c.process_id == P.c.id, B.c.kind == BenefitKind.MEASURED.value)
        .scalar_subquery()
    )
    systems = select(func.array_agg(cast(PIS.c.it_system_code, Text))).where(
        PIS.c.process_id == P.c.id
    )
    techs = select(func.array_agg(cast(PT.c.technology_code, Text))).where(
        PT.c.process_id == P.c.id
    )
    codes = classification_codes(P)
    return (
        select(
            P.c.id.label("candidate_id"),
            _codes_array(systems.scalar_subquery()).label("it_systems"),
            _codes_array(techs.scalar_subquery()).label("technologies"),
            func.array_intersection(codes, own_codes, type_=TEXT_ARRAY).label("matched_codes"),
            func.cardinality(codes).label("code_count"),
            func.coalesce(cast(hours, Float), number(0.0)).label("hours"),
            reuse_count.label("reuse_count"),
            scoring.score(viewer, scoring.ScoreWeights()).label("trondheim_score"),
        )
        .where(
            P.c.municipality_code != municipality,
            P.c.phase.in_(PHASES),
            readable_processes(viewer),
            P.c.id.not_in(taken),
            ~exists().where(
                PIS.c.process_id == P.c.id, PIS.c.it_system_code.not_in(settings_systems)
            ),
            ~exists().where(PT.c.process_id == P.c.id, PT.c.technology_code.not_in(settings_techs)),
            or_(
                exists().where(PIS.c.process_id == P.c.id),
                exists().where(PT.c.process_id == P.c.id),
            ),
        )
        .cte("eligible")
        .prefix_with("MATERIALIZED")
    )


async def candidates_for(
    reader: Reader,
    viewer: Principal,
    municipality: str,
    weights: CandidateWeights,
    *,
    first: int,
) -> list[Candidate]:
    """Best first; ties by id. One statement."""
    e = _eligible(viewer, municipality).c
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
            (
                e.code_count > 0,
                cast(func.cardinality(e.matched_codes), Float) / cast(e.code_count, Float),
            ),
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
            r.matched_codes.label("_matched_codes"),
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
