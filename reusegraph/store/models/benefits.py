"""Realised and estimated benefits, one record per process, month and kind."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import BenefitKind


class BenefitRecord(Base):
    """FTE is not stored: it is derived with the owning municipality's FTE hours."""

    __tablename__ = "benefit_record"
    __table_args__ = (
        UniqueConstraint("process_id", "period", "kind"),
        CheckConstraint("extract(day from period) = 1", name="period_is_month"),
        CheckConstraint("cases IS NULL OR cases >= 0", name="cases_nonnegative"),
        CheckConstraint("hours_saved >= 0", name="hours_nonnegative"),
        CheckConstraint("(money_amount IS NULL) = (currency IS NULL)", name="money_has_currency"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        enum_check("kind", BenefitKind),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    period: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(enum_column(BenefitKind), default=BenefitKind.MEASURED)
    cases: Mapped[int | None] = mapped_column(Integer)
    hours_saved: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    money_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(String(1000))
