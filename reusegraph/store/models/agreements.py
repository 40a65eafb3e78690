"""Framework agreements and contracts under which municipalities buy automation work."""

import uuid
from datetime import date

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import AgreementKind

agreement_party = Table(
    "agreement_party",
    Base.metadata,
    Column(
        "agreement_id",
        ForeignKey("framework_agreement.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("municipality_code", ForeignKey("municipality.code"), primary_key=True, index=True),
)

agreement_vendor = Table(
    "agreement_vendor",
    Base.metadata,
    Column(
        "agreement_id",
        ForeignKey("framework_agreement.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("vendor_id", ForeignKey("vendor.id"), primary_key=True, index=True),
)


class FrameworkAgreement(Base):
    """The end date is derived (start + initial term + the options exercised), never stored."""

    __tablename__ = "framework_agreement"
    __table_args__ = (
        CheckConstraint("initial_term_months > 0", name="initial_term_positive"),
        CheckConstraint("0 < ALL(option_months)", name="options_positive"),
        CheckConstraint(
            "options_exercised >= 0"
            " AND options_exercised <= coalesce(array_length(option_months, 1), 0)",
            name="options_exercised_range",
        ),
        CheckConstraint(
            "terminated_on IS NULL OR terminated_on >= start_date", name="terminated_after_start"
        ),
        enum_check("kind", AgreementKind),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(enum_column(AgreementKind))
    title: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    initial_term_months: Mapped[int] = mapped_column(Integer)
    option_months: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    options_exercised: Mapped[int] = mapped_column(Integer, default=0)
    signed_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class AgreementDocument(Base):
    __tablename__ = "agreement_document"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(2048))
