"""Webhooks: who wants to hear of which changes, the outbox of changes, and each delivery.

``webhook_event`` is the outbox: a trigger on ``process_change`` (migration 0019) writes
one row per change in the change's own transaction, so an event exists exactly when its
change committed; the watches' scan (migration 0025) writes agreements expiring and
sources gone stale, with its memory of them (notices, episodes) in the same transaction.
Subscriptions keep their own position in it; a delivery is one event sent to one
subscription, and every try of it is a ``webhook_attempt``.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reusegraph.store.base import Base


class WebhookSubscription(Base):
    """A principal's standing request; deliveries are read as that principal would read."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (
        CheckConstraint("status IN ('ACTIVE', 'PAUSED')", name="status_valid"),
        Index("ix_webhook_subscription_owner", "issuer", "subject"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    issuer: Mapped[str] = mapped_column(String(1024))
    subject: Mapped[str] = mapped_column(String(255))
    municipality_code: Mapped[str | None] = mapped_column(String(7))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    """The subscriber's roles when subscribing: payloads are read with them."""
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    filter: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    secret: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'ACTIVE'"))
    position_xid: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    position_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    """The last event looked at, as ``(xid, id)``: events after it are still to come."""
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """The head delivery's next try: no worker claims the subscription before it."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class WebhookEvent(Base):
    """The outbox, at the position ``(xid, id)``: a change of a process (the trigger), an
    agreement entering a subscriber's window or a source going stale (the scan)."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(process_id, agreement_id, source_code) = 1", name="one_subject"
        ),
        Index("ix_webhook_event_position", "xid", "id"),
        Index("ix_webhook_event_process", "process_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger)
    process_id: Mapped[uuid.UUID | None]
    municipality_code: Mapped[str | None] = mapped_column(String(7))
    agreement_id: Mapped[uuid.UUID | None]
    source_code: Mapped[str | None] = mapped_column(String(63))
    within_days: Mapped[int | None] = mapped_column(Integer)
    """An agreement's event: the window (``expiringWithinDays``) it entered."""
    parties: Mapped[list[str]] = mapped_column(
        ARRAY(String(7)), server_default=text("'{}'::varchar[]")
    )
    """An agreement's parties or a source's owners: what the ``municipality`` filter reads."""
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """What the scan saw (an end date, an episode), sent in the payload as it was."""
    kind: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str | None] = mapped_column(String(32))
    previous_phase: Mapped[str | None] = mapped_column(String(32))
    """The phase of the process's previous event (null: none recorded)."""
    domains: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), server_default=text("'{}'::varchar[]")
    )
    was_public: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookDelivery(Base):
    """One event for one subscription: pending until a 2xx answer, failed after the window."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'DELIVERED', 'FAILED')", name="status_valid"),
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_head", "subscription_id", "status", "event_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    process_id: Mapped[uuid.UUID | None]
    agreement_id: Mapped[uuid.UUID | None]
    source_code: Mapped[str | None] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'PENDING'"))
    body: Mapped[str] = mapped_column(Text)
    """The exact bytes sent, so every retry is the same message."""
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    window_started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    """Retries go on until this plus the retry window (a replay starts a new one)."""
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookAttempt(Base):
    """One try of a delivery: what the receiver answered, and how fast."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(64))


class WebhookScan(Base):
    """The periodic scan's turn: the replica that claims the row scans, once per period."""

    __tablename__ = "webhook_scan"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookAgreementNotice(Base):
    """An agreement announced as expiring within ``within_days``, for the term ending then."""

    __tablename__ = "webhook_agreement_notice"

    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("framework_agreement.id", ondelete="CASCADE"), primary_key=True
    )
    within_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    ends_on: Mapped[date] = mapped_column(Date, primary_key=True)
    """The last day in force when announced: an extended term is a new notice."""
    announced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class WebhookSourceEpisode(Base):
    """A source's stale episodes: the open one (``stale_since`` set) is announced once."""

    __tablename__ = "webhook_source_episode"

    source_code: Mapped[str] = mapped_column(
        ForeignKey("source.code", ondelete="CASCADE"), primary_key=True
    )
    episode: Mapped[int] = mapped_column(Integer)
    stale_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
