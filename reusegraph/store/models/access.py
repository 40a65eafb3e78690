"""Who may sign in (issuers), who is logged in (browser sessions), what was applied (receipts)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class TrustedIssuer(Base):
    """Issuers registered by an admin; those from configuration are not stored."""

    __tablename__ = "trusted_issuer"
    __table_args__ = (CheckConstraint("name ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name="name_format"),)

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(1024), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class BrowserSession(Base):
    """A GraphiQL login: the browser holds only the id; the token is sealed at rest."""

    __tablename__ = "browser_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(1024))
    sealed_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class MutationReceipt(Base):
    """A retried mutation (same caller, same clientMutationId) is answered from here."""

    __tablename__ = "mutation_receipt"

    issuer: Mapped[str] = mapped_column(String(1024), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    client_mutation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    mutation: Mapped[str] = mapped_column(String(128))
    input_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the call's input without its clientMutationId; null on older receipts."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class RateBudget(Base):
    """A caller's token bucket (``store.rate_limits``): shared by every replica."""

    __tablename__ = "rate_budget"

    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the caller (issuer and subject, or address): no identities are kept."""
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    admitted: Mapped[bool] = mapped_column(Boolean)
    """Whether the last request was admitted (what the charging statement answers)."""


class TrustedDocument(Base):
    """An operation an admin registered for the trusted-documents mode (``api/trusted.py``)."""

    __tablename__ = "trusted_document"
    __table_args__ = (CheckConstraint("sha256_hash ~ '^[0-9a-f]{64}$'", name="hash_format"),)

    sha256_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the document's exact text, in hex: what clients send as ``documentId``."""
    name: Mapped[str | None] = mapped_column(String(255))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ViewerKeyRow(Base):
    """The key of the viewer's settings' HMAC (``store/viewer_mac.py``, migration 0021): one
    row, readable by the tables' owner only, never by ``reusegraph_api``."""

    __tablename__ = "reusegraph_viewer_key"
    __table_args__ = (CheckConstraint("id", name="one_row"),)

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    inner_pad: Mapped[bytes] = mapped_column(LargeBinary)
    """HMAC's inner and outer keys (RFC 2104), so that SQL computes it with ``sha256()``."""
    outer_pad: Mapped[bytes] = mapped_column(LargeBinary)
