"""The Trondheim RPA programme's scoring model, computed in SQL from a process's own fields.

Trondheim scored candidate processes on three dimensions and took the highest scores
forward (``shared/domain/facts.md``, "Scoring model"). The source names the inputs but
gives no formula and no weights, so the mapping below is ours; every input comes from the
OS2autoproces assessment (``Level``: VERY_LOW 0, LOW 1/3, HIGH 2/3, VERY_HIGH 1; UNKNOWN
and NOT_SET count as 0, so an unassessed process does not outrank an assessed one):

qualitative gains (kvalitative gevinster), the mean of
    customer satisfaction   levelOfSpeed (faster, fuller service)
    employee satisfaction   levelOfRoutineWorkReduction (frees time, less routine work)
    compliance, lower risk  levelOfQuality (higher quality, fewer errors)
direct economic gains (direkte økonomiske gevinster)
    time per case x cases per month x (1 - fall-out share): expectedHoursPerYear
    (minutesPerRun x runsPerYear x automationPercentage), on a log scale where
    10 000 hours a year (Trondheim's whole programme in 2022) or more is 1. "Other
    financial savings" have no field in OS2autoproces and are left out.
implementation speed (hurtig implementeringstid), the mean of
    input data quality      levelOfStructuredInformation
    decision simplicity     1 - levelOfProfessionalAssessment
    process length          1 - the mean of levelOfUniformity (its question is "is there
                            variation in how the process is solved?") and levelOfChange
    system suitability      the mean of levelOfDigitalInformation and evaluatedLevelOfRoi
                            (its question is "how far can the process be automated?")
    reuse                   1 if the process was built on another process the viewer can
                            read (a reuse link), else 0

Each dimension is in [0, 1]; the score is their weighted mean, so it is in [0, 1] too.
Default weights are equal because the source gives none.
"""

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.enums import Level
from reusegraph.store.keys import any_of
from reusegraph.store.models import Process, ProcessRollup, ReuseLink
from reusegraph.store.visibility import readable_processes

P = Process.__table__
L = ReuseLink.__table__
# The origin's visibility, from the narrow rollup; an alias built once (one per request
# is garbage in reference cycles, see ``store.reuse``).
SCORE_ORIGIN = aliased(ProcessRollup.__table__, name="score_origin")

LEVEL_VALUES = {
    Level.VERY_LOW: 0.0,
    Level.LOW: 1 / 3,
    Level.HIGH: 2 / 3,
    Level.VERY_HIGH: 1.0,
}
FULL_HOURS_PER_YEAR = 10_000.0
MAX_WEIGHT = 10.0


@dataclass(frozen=True)
class ScoreWeights:
    """Relative weights of the three dimensions, each 0-10, not all 0."""

    qualitative_gains: float = 1.0
    economic_gains: float = 1.0
    implementation_speed: float = 1.0

    @property
    def key(self) -> str:
        """Names the weights in a cursor, so a cursor cannot page another weighting."""
        return f"{self.qualitative_gains:g}:{self.economic_gains:g}:{self.implementation_speed:g}"


@dataclass(frozen=True)
class ScoreParts:
    qualitative_gains: float
    economic_gains: float
    implementation_speed: float

    def total(self, weights: ScoreWeights) -> float:
        w = weights
        weighted = (
            w.qualitative_gains * self.qualitative_gains
            + w.economic_gains * self.economic_gains
            + w.implementation_speed * self.implementation_speed
        )
        return weighted / (w.qualitative_gains + w.economic_gains + w.implementation_speed)


def number(value: float) -> ColumnElement[float]:
    """A float constant written into the SQL: plans and EXPLAIN stay readable."""
    return literal_column(f"{float(value)!r}::float8", Float)


def _level(column: ColumnElement[Any], *, inverse: bool = False) -> ColumnElement[float]:
    whens = [
        (column == literal_column(f"'{level.value}'"), number(1.0 - value if inverse else value))
        for level, value in LEVEL_VALUES.items()
    ]
    return case(*whens, else_=number(0.0))


def _inverse(column: ColumnElement[Any]) -> ColumnElement[float]:
    return _level(column, inverse=True)


def expected_hours(table: FromClause) -> ColumnElement[Any]:
    c = table.c
    return (
        cast(c.runs_per_year, Float)
        * cast(c.minutes_per_run, Float)
        * cast(c.automation_percentage, Float)
        / number(6000.0)
    )


def _hours_scale(hours: ColumnElement[float]) -> ColumnElement[float]:
    known = func.greatest(func.coalesce(hours, number(0.0)), number(0.0))
    ratio = func.log(number(1.0) + known) / number(math.log10(1.0 + FULL_HOURS_PER_YEAR))
    return func.least(number(1.0), ratio, type_=Float)


def _reuses_readable_origin(viewer: Principal, table: FromClause) -> ColumnElement[float]:
    origin = SCORE_ORIGIN
    built_on = exists().where(
        L.c.derived_id == table.c.id,
        origin.c.id == L.c.origin_id,
        readable_processes(viewer, origin),
    )
    return case((built_on, number(1.0)), else_=number(0.0))


def dimensions(
    viewer: Principal, table: FromClause = P, *, built_on: ColumnElement[bool] | None = None
) -> "Dimensions":
    """(qualitative gains, economic gains, implementation speed) of each row of ``table``.

    ``built_on``: whether each row was built on a process the viewer can read, when the
    caller knows it already (``store.candidates`` reads it from the rollups).
    """
    c = table.c
    qualitative = (
        _level(c.level_of_speed)
        + _level(c.level_of_routine_work_reduction)
        + _level(c.level_of_quality)
    ) / number(3.0)
    economic = _hours_scale(expected_hours(table))
    process_length = (_inverse(c.level_of_uniformity) + _inverse(c.level_of_change)) / number(2.0)
    suitability = (
        _level(c.level_of_digital_information) + _level(c.evaluated_level_of_roi)
    ) / number(2.0)
    reuse: ColumnElement[float] = (
        _reuses_readable_origin(viewer, table)
        if built_on is None
        else case((built_on, number(1.0)), else_=number(0.0))
    )
    speed = (
        _level(c.level_of_structured_information)
        + _inverse(c.level_of_professional_assessment)
        + process_length
        + suitability
        + reuse
    ) / number(5.0)
    return qualitative, economic, speed


Dimensions = tuple[ColumnElement[float], ColumnElement[float], ColumnElement[float]]


def stored_dimensions(rollup: FromClause, *, built_on: ColumnElement[bool]) -> Dimensions:
    """``dimensions`` of ``process_rollup`` rows from the columns PostgreSQL computes on
    write (migration 0009), adding only the reuse input, which depends on the viewer."""
    c = rollup.c
    reuse = case((built_on, number(1.0)), else_=number(0.0))
    speed = cast((c.speed_inputs + reuse) / number(5.0), Float)
    return c.qualitative_gains, c.economic_gains, speed


def score(
    viewer: Principal,
    weights: ScoreWeights,
    table: FromClause = P,
    *,
    built_on: ColumnElement[bool] | None = None,
) -> ColumnElement[float]:
    """The weighted score as one SQL expression: what ``orderBy: SCORE`` sorts on."""
    return weighted(weights, dimensions(viewer, table, built_on=built_on))


def weighted(weights: ScoreWeights, dimensions: Dimensions) -> ColumnElement[float]:
    qualitative, economic, speed = dimensions
    w = weights
    total = w.qualitative_gains + w.economic_gains + w.implementation_speed
    return (
        number(w.qualitative_gains) * qualitative
        + number(w.economic_gains) * economic
        + number(w.implementation_speed) * speed
    ) / number(total)


async def parts_by_process(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ScoreParts]:
    qualitative, economic, speed = dimensions(viewer)
    statement = select(
        P.c.id,
        qualitative.label("qualitative"),
        economic.label("economic"),
        speed.label("speed"),
    ).where(any_of(P.c.id, ids), readable_processes(viewer))
    return {
        row.id: ScoreParts(float(row.qualitative), float(row.economic), float(row.speed))
        for row in (await reader.execute(statement)).all()
    }
