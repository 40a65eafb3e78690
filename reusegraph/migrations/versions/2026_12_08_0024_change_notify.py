"""change notify: NOTIFY positions of process_change; the phase a change left and found

Revision ID: 0024_change_notify
Revises: 0023_spelling_folds
Create Date: 2026-12-08 02:00:00

GraphQL subscriptions (``events/live.py``) are fed across replicas by ``LISTEN``. A
statement trigger on ``process_change`` sends, per statement, the positions it wrote:
``<xid>:<first seq>:<last seq>`` on the channel ``reusegraph_change``. Nothing else
travels: each subscriber reads the rows at those positions itself, as itself, so a
notification tells nobody about what they may not read. PostgreSQL delivers it at commit
(a rolled-back change is never announced) and folds identical ones of one transaction.

A change's ``phase`` and ``previous_phase`` are kept on its ``process_change`` row by a
row trigger, so "into OPERATION" can be told from the row alone: ``previous_phase`` is the
phase at the row's previous position (by an earlier transaction; a second stamp in the
same transaction keeps the first one's), ``phase`` the process's phase now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_change_notify"
down_revision: str | None = "0023_spelling_folds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "reusegraph_change"
DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp"

PHASE = f"""
CREATE FUNCTION process_change_phase() RETURNS trigger {DEFINER} AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.previous_phase := CASE WHEN OLD.xid = NEW.xid THEN OLD.previous_phase ELSE OLD.phase END;
  END IF;
  IF NEW.deleted THEN
    NEW.phase := NULL;
  ELSE
    NEW.phase := (SELECT p.phase FROM process p WHERE p.id = NEW.process_id);
  END IF;
  RETURN NEW;
END
$$
"""

NOTIFY = f"""
CREATE FUNCTION process_change_notify() RETURNS trigger {DEFINER} AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', n.xid || ':' || min(n.seq) || ':' || max(n.seq))
  FROM new_rows n GROUP BY n.xid;
  RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column("process_change", sa.Column("phase", sa.String(length=32), nullable=True))
    op.add_column(
        "process_change", sa.Column("previous_phase", sa.String(length=32), nullable=True)
    )
    # The present phase of every live row, without telling webhook subscribers about it.
    op.execute("ALTER TABLE process_change DISABLE TRIGGER webhook_outbox_update")
    op.execute(
        "UPDATE process_change c SET phase = p.phase, previous_phase = p.phase"
        " FROM process p WHERE p.id = c.process_id AND NOT c.deleted"
    )
    op.execute("ALTER TABLE process_change ENABLE TRIGGER webhook_outbox_update")
    op.execute(PHASE)
    op.execute(
        "CREATE TRIGGER process_change_phase BEFORE INSERT OR UPDATE ON process_change"
        " FOR EACH ROW EXECUTE FUNCTION process_change_phase()"
    )
    op.execute(NOTIFY)
    for action in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER process_change_notify_{action.lower()} AFTER {action}"
            " ON process_change REFERENCING NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION process_change_notify()"
        )


def downgrade() -> None:
    for action in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS process_change_notify_{action} ON process_change")
    op.execute("DROP FUNCTION IF EXISTS process_change_notify()")
    op.execute("DROP TRIGGER IF EXISTS process_change_phase ON process_change")
    op.execute("DROP FUNCTION IF EXISTS process_change_phase()")
    op.drop_column("process_change", "previous_phase")
    op.drop_column("process_change", "phase")
