"""webhooks: subscriptions, an outbox written with each change, deliveries and their attempts

Revision ID: 0019_webhooks
Revises: 0018_api_login
Create Date: 2026-12-07 17:00:00

The outbox (``webhook_event``) is written by a statement trigger on ``process_change``,
so an event commits or rolls back with its change and nothing is lost between the two.
While no subscription is active the trigger writes nothing: a registry without webhooks
pays one index probe per statement. Each event carries what the filters need (phase, the
phase of the process's previous event, domains) and its position ``(xid, id)``, read
as the change feed reads positions (only below the oldest running transaction).

Row-level security: a subscriber (``issuer`` and ``subject``, the new setting
``reusegraph.issuer``) sees and changes their own subscriptions and reads their
deliveries and attempts; an admin all of them. The outbox and every write of a delivery
belong to the system (the delivery worker) alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_webhooks"
down_revision: str | None = "0018_api_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "reusegraph_api"
SYSTEM = "(SELECT pg_has_role(CURRENT_USER, 'reusegraph_system', 'MEMBER'))"
ADMIN = "current_setting('reusegraph.admin', true) = 'on'"
OWNER = (
    "(issuer = NULLIF(current_setting('reusegraph.issuer', true), '')"
    " AND subject = NULLIF(current_setting('reusegraph.subject', true), ''))"
)
SUBSCRIPTION_SEEN = f"{SYSTEM} OR {ADMIN} OR {OWNER}"
DELIVERY_SEEN = (
    f"{SYSTEM} OR {ADMIN} OR subscription_id IN (SELECT s.id FROM webhook_subscription s)"
)
ATTEMPT_SEEN = f"{SYSTEM} OR {ADMIN} OR delivery_id IN (SELECT d.id FROM webhook_delivery d)"

OUTBOX = """
CREATE FUNCTION webhook_outbox() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM webhook_subscription WHERE status = 'ACTIVE') THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_event
    (xid, process_id, municipality_code, kind, phase, previous_phase, domains, was_public)
  SELECT pg_current_xact_id()::text::bigint, n.process_id, n.municipality_code,
         CASE WHEN n.deleted THEN 'process.deleted'
              WHEN TG_OP = 'INSERT' THEN 'process.created'
              ELSE 'process.updated' END,
         p.phase, prev.phase, coalesce(p.domains, '{}'), n.was_public
  FROM new_rows n
  LEFT JOIN process p ON p.id = n.process_id AND NOT n.deleted
  LEFT JOIN LATERAL (SELECT e.phase FROM webhook_event e WHERE e.process_id = n.process_id
                     ORDER BY e.id DESC LIMIT 1) AS prev ON true
  ORDER BY n.xid, n.seq;
  RETURN NULL;
END
$$
"""


def _timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    default = None if nullable else sa.text("now()")
    return sa.Column(name, sa.DateTime(timezone=True), server_default=default, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("municipality_code", sa.String(length=7), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column(
            "filter",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'ACTIVE'"), nullable=False
        ),
        sa.Column("position_xid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("position_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        _timestamp("lease_until", nullable=True),
        _timestamp("retry_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'PAUSED')", name=op.f("ck_webhook_subscription_status_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    op.create_index("ix_webhook_subscription_owner", "webhook_subscription", ["issuer", "subject"])
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=True),
        sa.Column("previous_phase", sa.String(length=32), nullable=True),
        sa.Column(
            "domains",
            postgresql.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("was_public", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
    )
    op.create_index("ix_webhook_event_position", "webhook_event", ["xid", "id"])
    op.create_index("ix_webhook_event_process", "webhook_event", ["process_id", "id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'PENDING'"), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("window_started_at"),
        _timestamp("next_attempt_at"),
        _timestamp("last_attempt_at", nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "status IN ('PENDING', 'DELIVERED', 'FAILED')",
            name=op.f("ck_webhook_delivery_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_event.id"],
            name=op.f("fk_webhook_delivery_event_id_webhook_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "subscription_id", "event_id", name=op.f("uq_webhook_delivery_subscription_id_event_id")
        ),
    )
    op.create_index(
        "ix_webhook_delivery_head", "webhook_delivery", ["subscription_id", "status", "event_id"]
    )
    op.create_index(op.f("ix_webhook_delivery_event_id"), "webhook_delivery", ["event_id"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        _timestamp("attempted_at"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(op.f("ix_webhook_attempt_delivery_id"), "webhook_attempt", ["delivery_id"])

    for table in ("webhook_subscription", "webhook_event", "webhook_delivery", "webhook_attempt"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON webhook_event FROM {API_ROLE}")
    op.execute(
        "CREATE POLICY webhook_subscription_own ON webhook_subscription FOR ALL"
        f" USING ({SUBSCRIPTION_SEEN}) WITH CHECK ({SUBSCRIPTION_SEEN})"
    )
    op.execute(f"CREATE POLICY webhook_event_system ON webhook_event FOR ALL USING ({SYSTEM})")
    for table, seen in (("webhook_delivery", DELIVERY_SEEN), ("webhook_attempt", ATTEMPT_SEEN)):
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({seen})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({SYSTEM})")
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({SYSTEM})")
    # A replay (the subscriber's mutation) puts a failed delivery back in line.
    op.execute(
        "CREATE POLICY webhook_delivery_update ON webhook_delivery FOR UPDATE"
        f" USING ({DELIVERY_SEEN}) WITH CHECK ({DELIVERY_SEEN})"
    )
    op.execute(
        f"CREATE POLICY webhook_attempt_update ON webhook_attempt FOR UPDATE USING ({SYSTEM})"
    )

    op.execute(OUTBOX)
    for action in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER webhook_outbox_{action.lower()} AFTER {action} ON process_change"
            " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION"
            " webhook_outbox()"
        )


def downgrade() -> None:
    for action in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS webhook_outbox_{action} ON process_change")
    op.execute("DROP FUNCTION IF EXISTS webhook_outbox()")
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
    op.drop_table("webhook_subscription")
