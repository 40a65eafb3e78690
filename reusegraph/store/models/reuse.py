"""Reuse links: derived process -> origin process. OS2autoproces drops this on copy; we keep it."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import ReuseKind


class ReuseLink(Base):
    __tablename__ = "reuse_link"
    __table_args__ = (
        UniqueConstraint("derived_id", "origin_id"),
        CheckConstraint("derived_id <> origin_id", name="not_self"),
        enum_check("kind", ReuseKind),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    derived_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    origin_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(enum_column(ReuseKind))
    note: Mapped[str | None] = mapped_column(String(2000))
    reused_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
