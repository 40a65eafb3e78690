"""Per-process rollups: what ranking reuse candidates needs, in one narrow row per process.

Triggers (migration 0005) keep every row exact in the writing transaction itself, so no
write path has to remember it: a process insert creates the row and copies the columns
below from ``process``; an update copies them again; benefit records add and subtract
their MEASURED hours; IT-system and technology links and reuse links recompute the
arrays, the reuse count and the built-on flag of the processes they touch. A process
delete cascades.

Row-level security reads the copied visibility columns with the same rule as
``process``, so reading a rollup never needs the (much wider) process row.
"""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Computed,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_column
from reusegraph.store.enums import BenefitKind, Level, Phase, ProcessType, Visibility


def _level() -> Mapped[str]:
    return mapped_column(enum_column(Level))


_LEVEL_VALUES = {"VERY_LOW": 0.0, "LOW": 1 / 3, "HIGH": 2 / 3, "VERY_HIGH": 1.0}


def _level_sql(column: str, *, inverse: bool = False) -> str:
    """A level as 0-1, exactly as ``store.scoring`` computes it (the same float8 constants)."""
    whens = " ".join(
        f"WHEN ({column} = '{level}') THEN {1.0 - value if inverse else value!r}::float8"
        for level, value in _LEVEL_VALUES.items()
    )
    return f"CASE {whens} ELSE 0.0::float8 END"


# The Trondheim model's dimensions with the process's own inputs (``store.scoring``),
# written as SQL in the same order of operations, so that they equal the expressions
# to the last bit. Only the reuse input of the implementation speed depends on who asks.
QUALITATIVE_GAINS_SQL = (
    f"({_level_sql('level_of_speed')} + {_level_sql('level_of_routine_work_reduction')}"
    f" + {_level_sql('level_of_quality')}) / 3.0::float8"
)
ECONOMIC_GAINS_SQL = (
    "least(1.0::float8, log(1.0::float8 + greatest(coalesce(runs_per_year::float8"
    " * minutes_per_run::float8 * automation_percentage::float8 / 6000.0::float8,"
    " 0.0::float8), 0.0::float8)) / 4.000043427276863::float8)"
)
SPEED_INPUTS_SQL = (
    f"{_level_sql('level_of_structured_information')}"
    f" + {_level_sql('level_of_professional_assessment', inverse=True)}"
    f" + ({_level_sql('level_of_uniformity', inverse=True)}"
    f" + {_level_sql('level_of_change', inverse=True)}) / 2.0::float8"
    f" + ({_level_sql('level_of_digital_information')}"
    f" + {_level_sql('evaluated_level_of_roi')}) / 2.0::float8"
)


class ProcessRollup(Base):
    """One row per process; ``id`` is the process's, so scoring and visibility apply as is."""

    __tablename__ = "process_rollup"
    __table_args__ = (
        # Covers the visibility columns: an Index Only Scan per municipality (migration 0006).
        Index(
            "ix_process_rollup_municipality_code",
            "municipality_code",
            "id",
            postgresql_include=["visibility", "type", "reporter", "co_editors"],
        ),
        # reuseCandidates' only way in; it asks for these two phases alone (migration 0010).
        Index(
            "ix_process_rollup_live_it_systems",
            "it_systems",
            postgresql_using="gin",
            postgresql_where=text("phase IN ('OPERATION', 'IMPLEMENTATION')"),
        ),
        Index("ix_process_rollup_reused_by", "reused_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    # Copies of the process's columns (visibility, ranking, scoring inputs).
    municipality_code: Mapped[str] = mapped_column(String(7))
    phase: Mapped[str] = mapped_column(enum_column(Phase))
    visibility: Mapped[str] = mapped_column(enum_column(Visibility))
    type: Mapped[str] = mapped_column(enum_column(ProcessType))
    reporter: Mapped[str | None] = mapped_column(String(255))
    co_editors: Mapped[list[str]] = mapped_column(ARRAY(String(255)))
    codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    """``classification_codes(kle, form, kla, k_codes)``: "KLE 27.24.00", "K-kode ..."."""
    runs_per_year: Mapped[int | None] = mapped_column(Integer)
    minutes_per_run: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    automation_percentage: Mapped[int | None] = mapped_column(Integer)
    level_of_professional_assessment: Mapped[str] = _level()
    level_of_change: Mapped[str] = _level()
    level_of_structured_information: Mapped[str] = _level()
    level_of_uniformity: Mapped[str] = _level()
    level_of_digital_information: Mapped[str] = _level()
    level_of_quality: Mapped[str] = _level()
    level_of_speed: Mapped[str] = _level()
    level_of_routine_work_reduction: Mapped[str] = _level()
    evaluated_level_of_roi: Mapped[str] = _level()
    # Rolled up from the process's child rows.
    it_systems: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    """Its IT-system codes, sorted."""
    technologies: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    """Its technology codes, sorted."""
    realised_hours: Mapped[Decimal] = mapped_column(Numeric, server_default=text("0"))
    """Hours saved in its MEASURED benefit records, all months."""
    measured_records: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """How many MEASURED benefit records ``realised_hours`` adds up (0: none, not 0 hours)."""
    reused_by: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Distinct other municipalities with a process built on it (a reuse link) that anyone
    may read (PUBLIC, or a shared umbrella). A member's own municipality's MUNICIPALITY and
    PERSONAL processes are added per query, for the member who may read them."""
    builds_on_public: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """Built on (a reuse link to) a process anyone may read: the scoring model's reuse
    input for a caller who reads public data only."""
    # Computed on write (migration 0009): reuseCandidates scores thousands of rows per
    # request, and these CASE chains were a third of its time.
    qualitative_gains: Mapped[float] = mapped_column(
        Double, Computed(QUALITATIVE_GAINS_SQL, persisted=True)
    )
    economic_gains: Mapped[float] = mapped_column(
        Double, Computed(ECONOMIC_GAINS_SQL, persisted=True)
    )
    speed_inputs: Mapped[float] = mapped_column(Double, Computed(SPEED_INPUTS_SQL, persisted=True))
    """The implementation-speed inputs but reuse, summed (the speed is (this + reuse) / 5)."""


class BenefitMonthTotal(Base):
    """Benefit records summed per municipality, month, kind and currency (migration 0006).

    ``public``: of processes anyone may read (PUBLIC, or a shared umbrella); only those
    rows are readable under row-level security. ``currency`` is "" for records without
    money. Kept exact by triggers on ``benefit_record`` and ``process``.
    """

    __tablename__ = "benefit_month_total"

    public: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(enum_column(BenefitKind), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(Numeric)
    cases: Mapped[int] = mapped_column(BigInteger)
    money: Mapped[Decimal] = mapped_column(Numeric)


class BenefitMonthSet(Base):
    """How many processes have records of a kind in exactly ``months`` (sorted), per
    municipality: the processes with a record in any range of months, counted once each."""

    __tablename__ = "benefit_month_set"

    public: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(enum_column(BenefitKind), primary_key=True)
    months: Mapped[list[date]] = mapped_column(ARRAY(Date), primary_key=True)
    processes: Mapped[int] = mapped_column(Integer)


class ProcessBenefitMonths(Base):
    """A process's months with records of a kind, and the key it is counted under in
    ``benefit_month_set`` and ``benefit_month_total``. No foreign key on purpose: when a
    process is deleted, the trigger of the cascading delete still finds what to subtract.
    Not readable by the API role."""

    __tablename__ = "process_benefit_months"

    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(enum_column(BenefitKind), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(7))
    public: Mapped[bool] = mapped_column(Boolean)
    months: Mapped[list[date]] = mapped_column(ARRAY(Date))
