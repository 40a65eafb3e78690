"""feed departures: a process that moves to another municipality leaves a tombstone behind

Revision ID: 0007_feed_departures
Revises: 0006_benefit_rollups
Create Date: 2026-11-21 18:00:00

Until now ``process_change`` held one row per process, under its current municipality.
When a process moved (a municipal merger, a record entered under the wrong owner), a
feed filtered on the old municipality never heard of it again, and a mirror that pulls
that municipality's feed kept a copy the remote no longer has under that owner.

The log is now keyed by (process, municipality): a move writes a tombstone row for the
old municipality and then (a later position) the live row for the new one. An unfiltered
reader therefore sees the tombstone before the process comes back under its new owner.
Child-row touches move only the live row, as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_feed_departures"
down_revision: str | None = "0006_benefit_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITION = "pg_current_xact_id()::text::bigint, nextval('process_change_seq')"
DEFINER = (
    "LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp SET reusegraph.system = 'on'"
)
PUBLIC = "({r}.visibility = 'PUBLIC' OR {r}.type = 'GLOBAL_PARENT')"
COLUMNS = "(process_id, municipality_code, xid, seq, deleted, was_public, changed_at)"


def _log_function(key: str) -> str:
    """The process trigger, with ``key`` the conflict target of ``process_change``."""
    live = (
        f"ON CONFLICT ({key}) DO UPDATE SET municipality_code = EXCLUDED.municipality_code,"
        " xid = EXCLUDED.xid, seq = EXCLUDED.seq, deleted = false,"
        " was_public = c.was_public OR EXCLUDED.was_public, changed_at = EXCLUDED.changed_at"
    )
    gone = (
        f"ON CONFLICT ({key}) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq,"
        " deleted = true, was_public = c.was_public OR EXCLUDED.was_public,"
        " changed_at = EXCLUDED.changed_at"
    )
    departures = (
        f"""INSERT INTO process_change AS c {COLUMNS}
    SELECT o.id, o.municipality_code, {POSITION}, true, {PUBLIC.format(r="o")}, now()
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.municipality_code <> o.municipality_code
    {gone};"""
        if key != "process_id"
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION process_change_log() RETURNS trigger {DEFINER} AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO process_change AS c {COLUMNS}
    SELECT n.id, n.municipality_code, {POSITION}, false, {PUBLIC.format(r="n")}, now()
    FROM new_rows n
    {live};
  ELSIF TG_OP = 'UPDATE' THEN
    {departures}
    INSERT INTO process_change AS c {COLUMNS}
    SELECT n.id, n.municipality_code, {POSITION}, false,
      {PUBLIC.format(r="n")} OR {PUBLIC.format(r="o")}, now()
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE to_jsonb(n) - 'synced_at' IS DISTINCT FROM to_jsonb(o) - 'synced_at'
    {live};
  ELSE
    INSERT INTO process_change AS c {COLUMNS}
    SELECT o.id, o.municipality_code, {POSITION}, true, {PUBLIC.format(r="o")}, now()
    FROM old_rows o
    {gone};
  END IF;
  RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE process_change DROP CONSTRAINT pk_process_change")
    op.create_primary_key(
        "pk_process_change", "process_change", ["process_id", "municipality_code"]
    )
    op.execute(_log_function("process_id, municipality_code"))


def downgrade() -> None:
    # One row per process again: the live one, or the newest tombstone.
    op.execute(
        "DELETE FROM process_change c USING process_change k"
        " WHERE k.process_id = c.process_id AND k.municipality_code <> c.municipality_code"
        " AND (NOT c.deleted, c.xid, c.seq) < (NOT k.deleted, k.xid, k.seq)"
    )
    op.execute("ALTER TABLE process_change DROP CONSTRAINT pk_process_change")
    op.create_primary_key("pk_process_change", "process_change", ["process_id"])
    op.execute(_log_function("process_id"))
