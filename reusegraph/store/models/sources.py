"""Sources: where each municipality's data comes from (hosted here, or mirrored)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import SourceKind

source_owner = Table(
    "source_owner",
    Base.metadata,
    Column("source_code", ForeignKey("source.code", ondelete="CASCADE"), primary_key=True),
    Column(
        "municipality_code",
        ForeignKey("municipality.code", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Source(Base):
    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name="code_format"),
        CheckConstraint("stale_after_seconds > 0", name="stale_after_positive"),
        CheckConstraint("record_count >= 0", name="record_count_nonnegative"),
        enum_check("kind", SourceKind),
    )

    code: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(enum_column(SourceKind))
    endpoint: Mapped[str | None] = mapped_column(String(2048))
    schedule: Mapped[str | None] = mapped_column(String(255))
    cursor: Mapped[str | None] = mapped_column(Text)
    stale_after_seconds: Mapped[int] = mapped_column(Integer, default=86400)
    last_sync_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
