"""Municipalities (and regions): the owners of everything else."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import Country, PopulationBand

municipality_it_system = Table(
    "municipality_it_system",
    Base.metadata,
    Column(
        "municipality_code",
        ForeignKey("municipality.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("it_system_code", ForeignKey("it_system.code"), primary_key=True, index=True),
)

municipality_technology = Table(
    "municipality_technology",
    Base.metadata,
    Column(
        "municipality_code",
        ForeignKey("municipality.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("technology_code", ForeignKey("technology.code"), primary_key=True, index=True),
)


class Municipality(Base):
    """``code`` is ``<country>-<national number>`` (DK-0746, NO-5001): stable and readable."""

    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z]{2}-[0-9]{3,4}$'", name="code_format"),
        CheckConstraint("left(code, 2) = country", name="code_matches_country"),
        CheckConstraint("fte_hours_per_year > 0 AND fte_hours_per_year <= 8784", name="fte_hours"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        enum_check("country", Country),
        enum_check("population_band", PopulationBand),
    )

    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(enum_column(Country), index=True)
    org_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    region: Mapped[str | None] = mapped_column(String(255))
    population_band: Mapped[str | None] = mapped_column(enum_column(PopulationBand))
    fte_hours_per_year: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    currency: Mapped[str] = mapped_column(String(3))
    identity_provider: Mapped[str | None] = mapped_column(String(1024))
    source_code: Mapped[str | None] = mapped_column(ForeignKey("source.code"), index=True)
    note: Mapped[str | None] = mapped_column(String(1000))
    merged_into_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
