"""The audit log: who changed what, when, and through which call."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    # No RETURNING of the new id: a writer who may not read the log (a member subscribing
    # to webhooks) may still write their entry (migration 0012: inserting is open).
    __table_args__ = {"implicit_returning": False}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    issuer: Mapped[str | None] = mapped_column(String(1024))
    subject: Mapped[str | None] = mapped_column(String(255))
    municipality_code: Mapped[str | None] = mapped_column(String(7), index=True)
    action: Mapped[str] = mapped_column(String(128))
    client_mutation_id: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(255), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
