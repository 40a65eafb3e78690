"""Automation processes: the OS2autoproces-compatible field set plus lineage and provenance."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_array_check, enum_check, enum_column
from reusegraph.store.enums import (
    ASSESSMENT_FIELDS,
    Domain,
    Level,
    Phase,
    ProcessType,
    RunPeriod,
    Status,
    Visibility,
)

KLE_PATTERN = r"^[0-9]{2}(\.[0-9]{2}){0,2}$"
FORM_PATTERN = r"^[0-9]{2}(\.[0-9]{2}){0,3}$"
KLA_PATTERN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}(\.[0-9]{2}){0,2}$"


def _weighted(column: str, weight: str) -> str:
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({column}, '')), '{weight}')"
        for config in ("simple", "danish", "norwegian")
    )


# Danish, Norwegian and simple stems side by side: a query is matched in all three.
SEARCH_VECTOR_SQL = " || ".join(
    [
        _weighted("title", "A"),
        _weighted("summary", "B"),
        _weighted("search_words", "B"),
        _weighted("description", "C"),
    ]
)

process_it_system = Table(
    "process_it_system",
    Base.metadata,
    Column("process_id", ForeignKey("process.id", ondelete="CASCADE"), primary_key=True),
    Column("it_system_code", ForeignKey("it_system.code"), primary_key=True, index=True),
)

process_technology = Table(
    "process_technology",
    Base.metadata,
    Column("process_id", ForeignKey("process.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_code", ForeignKey("technology.code"), primary_key=True, index=True),
)

process_umbrella = Table(
    "process_umbrella",
    Base.metadata,
    Column("umbrella_id", ForeignKey("process.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", ForeignKey("process.id", ondelete="CASCADE"), primary_key=True, index=True),
    CheckConstraint("umbrella_id <> child_id", name="not_self"),
)


def _level(name: str) -> Mapped[str]:
    return mapped_column(enum_column(Level), default=Level.NOT_SET, server_default=Level.NOT_SET)


class Process(Base):
    __tablename__ = "process"
    __table_args__ = (
        UniqueConstraint("source_code", "source_id"),
        CheckConstraint(f"kle ~ '{KLE_PATTERN}'", name="kle_format"),
        CheckConstraint(f"form ~ '{FORM_PATTERN}'", name="form_format"),
        CheckConstraint(f"kla ~ '{KLA_PATTERN}'", name="kla_format"),
        CheckConstraint("runs_per_year >= 0", name="runs_per_year_nonnegative"),
        CheckConstraint("minutes_per_run >= 0", name="minutes_per_run_nonnegative"),
        CheckConstraint("employees_doing_process >= 0", name="employees_nonnegative"),
        CheckConstraint("automation_percentage BETWEEN 0 AND 100", name="automation_percentage"),
        CheckConstraint("development_hours >= 0", name="development_hours_nonnegative"),
        CheckConstraint("rating BETWEEN 0 AND 3", name="rating_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        enum_check("phase", Phase),
        enum_check("status", Status),
        enum_check("visibility", Visibility),
        enum_check("type", ProcessType),
        enum_check("run_period", RunPeriod),
        enum_array_check("domains", Domain),
        *(enum_check(name, Level) for name in ASSESSMENT_FIELDS),
        Index("ix_process_updated_at_id", "updated_at", "id"),
        Index("ix_process_title_id", "title", "id"),
        Index("ix_process_kle_prefix", "kle", postgresql_ops={"kle": "text_pattern_ops"}),
        Index("ix_process_domains", "domains", postgresql_using="gin"),
        Index("ix_process_search", "search", postgresql_using="gin"),
        Index("ix_process_title_trigrams", "title_trigrams", postgresql_using="gin"),
        Index("ix_process_k_codes", "k_codes", postgresql_using="gin"),
        Index("ix_process_form", "form"),
        Index("ix_process_kla", "kla"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)

    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(Text)
    process_challenges: Mapped[str | None] = mapped_column(Text)
    solution_requests: Mapped[str | None] = mapped_column(Text)
    automation_description: Mapped[str | None] = mapped_column(Text)
    technical_implementation_notes: Mapped[str | None] = mapped_column(Text)
    organizational_implementation_notes: Mapped[str | None] = mapped_column(Text)
    status_text: Mapped[str | None] = mapped_column(Text)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    time_spend_comment: Mapped[str | None] = mapped_column(Text)
    search_words: Mapped[str | None] = mapped_column(String(1000))
    department: Mapped[str | None] = mapped_column(String(255))
    domains: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default=text("'{}'")
    )

    kle: Mapped[str | None] = mapped_column(String(8))
    form: Mapped[str | None] = mapped_column(String(11))
    kla: Mapped[str | None] = mapped_column(String(14))
    k_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default=text("'{}'")
    )
    kl_id: Mapped[str | None] = mapped_column(String(64))
    sep_mep: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    legal_clause: Mapped[str | None] = mapped_column(String(3000))
    legal_clause_last_verified: Mapped[date | None] = mapped_column(Date)

    phase: Mapped[str] = mapped_column(enum_column(Phase), index=True)
    status: Mapped[str | None] = mapped_column(enum_column(Status), index=True)
    visibility: Mapped[str] = mapped_column(enum_column(Visibility), index=True)
    type: Mapped[str] = mapped_column(
        enum_column(ProcessType), default=ProcessType.CHILD, server_default=ProcessType.CHILD
    )
    run_period: Mapped[str | None] = mapped_column(enum_column(RunPeriod))

    runs_per_year: Mapped[int | None] = mapped_column(Integer)
    minutes_per_run: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    employees_doing_process: Mapped[int | None] = mapped_column(Integer)
    automation_percentage: Mapped[int | None] = mapped_column(Integer)
    development_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    targets_citizens: Mapped[bool | None] = mapped_column(Boolean)
    targets_companies: Mapped[bool | None] = mapped_column(Boolean)

    level_of_professional_assessment: Mapped[str] = _level("level_of_professional_assessment")
    level_of_change: Mapped[str] = _level("level_of_change")
    level_of_structured_information: Mapped[str] = _level("level_of_structured_information")
    level_of_uniformity: Mapped[str] = _level("level_of_uniformity")
    level_of_digital_information: Mapped[str] = _level("level_of_digital_information")
    level_of_quality: Mapped[str] = _level("level_of_quality")
    level_of_speed: Mapped[str] = _level("level_of_speed")
    level_of_routine_work_reduction: Mapped[str] = _level("level_of_routine_work_reduction")
    evaluated_level_of_roi: Mapped[str] = _level("evaluated_level_of_roi")
    rating: Mapped[int | None] = mapped_column(Integer)

    vendor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("framework_agreement.id"), index=True
    )
    put_into_operation: Mapped[date | None] = mapped_column(Date)
    decommissioned: Mapped[date | None] = mapped_column(Date)
    code_repository_url: Mapped[str | None] = mapped_column(String(1024))

    contact_name: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(255))
    other_contact_email: Mapped[str | None] = mapped_column(String(255))
    # Internal to the owner municipality: never shown to other municipalities' readers.
    internal_notes: Mapped[str | None] = mapped_column(Text)
    esdh_reference: Mapped[str | None] = mapped_column(String(300))
    reporter: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(255))
    co_editors: Mapped[list[str]] = mapped_column(
        ARRAY(String(255)), default=list, server_default=text("'{}'")
    )

    source_code: Mapped[str | None] = mapped_column(ForeignKey("source.code"), index=True)
    source_id: Mapped[str | None] = mapped_column(String(255))
    source_url: Mapped[str | None] = mapped_column(String(2048))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extras: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    search: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))
    # trigram_set() (migration 0002): pg_trgm-style trigrams, without pg_trgm; fold_title()
    # (migration 0022, store/search_normaliser.py): Danish and Norwegian in one spelling.
    title_trigrams: Mapped[list[str]] = mapped_column(
        ARRAY(Text), Computed("trigram_set(fold_title(title))", persisted=True)
    )


class ProcessLink(Base):
    __tablename__ = "process_link"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    label: Mapped[str | None] = mapped_column(String(255))
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ProcessAttachment(Base):
    """``shared`` mirrors OS2autoproces's visibleToOtherMunicipalities."""

    __tablename__ = "process_attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ProcessChange(Base):
    """The change log behind the source contract's ``changes`` feed: one row per process
    and municipality it has belonged to.

    Triggers (migrations 0004, 0007) keep it: an insert, a real update or a delete of a
    process, and any change to its benefits, reuse links, links, IT systems or
    technologies, moves the process's live row to a new position ``(xid, seq)``. A delete
    leaves the row with ``deleted`` set: the tombstone (hence no foreign key); a move to
    another municipality leaves one under the old municipality. ``xid`` is the writing
    transaction, so the feed can hold back positions of transactions still running.
    """

    __tablename__ = "process_change"
    __table_args__ = (
        Index("ix_process_change_position", "xid", "seq"),
        Index("ix_process_change_municipality_position", "municipality_code", "xid", "seq"),
    )

    process_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(7), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    was_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """Readable by everyone at some time: only then do outsiders get its tombstone."""
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    phase: Mapped[str | None] = mapped_column(String(32))
    """The process's phase at this position (a row trigger, migration 0024); none if deleted."""
    previous_phase: Mapped[str | None] = mapped_column(String(32))
    """Its phase at the previous position: a change "into OPERATION" is told by the row."""
