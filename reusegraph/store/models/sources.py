"""Sources: where each municipality's data comes from (hosted here, or mirrored)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base, enum_check, enum_column
from reusegraph.store.enums import SourceKind


class SourceAuth(StrEnum):
    """How the gateway proves itself to a remote source."""

    NONE = "none"
    BEARER = "bearer"
    """A static bearer token."""
    OAUTH2 = "oauth2"
    """OAuth2 client credentials against the remote's issuer (``token_url``, ``client_id``)."""
    API_KEY = "api_key"
    """OS2autoproces's API key, exchanged for a session."""


source_owner = Table(
    "source_owner",
    Base.metadata,
    Column("source_code", ForeignKey("source.code", ondelete="CASCADE"), primary_key=True),
    Column(
        "municipality_code",
        ForeignKey("municipality.code", ondelete="CASCADE"),
        primary_key=True,
        index=True,
        unique=True,
    ),
)
"""A municipality's processes come from exactly one source: one owner per municipality."""


class Source(Base):
    __tablename__ = "source"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name="code_format"),
        CheckConstraint("stale_after_seconds > 0", name="stale_after_positive"),
        CheckConstraint("record_count >= 0", name="record_count_nonnegative"),
        enum_check("kind", SourceKind),
        enum_check("auth", SourceAuth),
        # Only where the secret is, never the secret: an environment variable or a file.
        CheckConstraint(
            "secret_ref ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$'", name="secret_ref_format"
        ),
        CheckConstraint("timeout_seconds > 0", name="timeout_positive"),
        CheckConstraint("max_run_seconds > 0", name="max_run_positive"),
        CheckConstraint("page_size BETWEEN 1 AND 10000", name="page_size_range"),
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

    auth: Mapped[str] = mapped_column(
        enum_column(SourceAuth), default=SourceAuth.NONE, server_default=SourceAuth.NONE
    )
    secret_ref: Mapped[str | None] = mapped_column(String(1024))
    """``env:NAME`` or ``file:/path``: where the token, API key or client secret is read."""
    token_url: Mapped[str | None] = mapped_column(String(2048))
    client_id: Mapped[str | None] = mapped_column(String(255))
    scope: Mapped[str | None] = mapped_column(String(1024))
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=30, server_default=text("30"))
    """Longest wait for one request to the remote."""
    max_run_seconds: Mapped[int] = mapped_column(Integer, default=900, server_default=text("900"))
    page_size: Mapped[int] = mapped_column(Integer, default=500, server_default=text("500"))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When a sync last reached the remote's present: the lag is measured from here."""
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    circuit_open_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_upserts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_run_deletes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_run_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class PendingReuse(Base):
    """A mirrored reuse link whose origin has not arrived yet (a later page, another run).

    Each page of a sync retries these, so the link appears as soon as its origin does,
    whatever order the remote sends them in.
    """

    __tablename__ = "pending_reuse"

    derived_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    origin_source_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source_code: Mapped[str] = mapped_column(
        ForeignKey("source.code", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(2000))
    reused_on: Mapped[date | None] = mapped_column(Date)
