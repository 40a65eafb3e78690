"""cheaper bulk triggers: benefit rollups keyed once per process, no repeated change stamps

Revision ID: 0008_cheaper_bulk_triggers
Revises: 0007_feed_departures
Create Date: 2026-11-21 20:00:00

A first sync writes each page of 500 processes and their ~12 000 benefit records in one
transaction; the statement-level triggers of 0004 and 0006 were then most of the cost of
``INSERT INTO benefit_record`` (bench/sync_notes.md). Two of them did per-row work that
does not need to be per row; what they keep is unchanged.

``benefit_rollup_records`` looked up the key a record counts under (its process's
municipality and public-ness, or the one its month sets were recorded with) by two
primary-key probes per record: 24 000 for a page, 110 ms of a 290 ms insert. The key
depends only on the process, so it is now looked up once per process and hash-joined to
the records. That statement runs through ``EXECUTE`` so it is planned for the page at
hand: a plan PL/pgSQL cached for a one-record insert would nest-loop 12 000 records over
500 keys. The removal of the touched (process, kind) month sets also probed by the page's
processes only; before, its join could scan all of ``process_benefit_months`` per page.

``process_change_touch_*`` moved a process's log row to a new position for every child
statement: a new process's row, written by the process insert of the same transaction,
moved four more times per page (non-HOT updates of a table with three indexes). A row
this transaction has already stamped is now left where it is: its position is in the
same transaction, which readers see whole or not at all (the feed hands out only
positions below the oldest running transaction), so they cannot tell the difference.
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0008_cheaper_bulk_triggers"
down_revision: str | None = "0007_feed_departures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSIONS = "reusegraph.migrations.versions."
_rollups = importlib.import_module(_VERSIONS + "2026_11_21_0006_benefit_rollups")
_sync = importlib.import_module(_VERSIONS + "2026_11_21_0004_sync")

DEFINER = (
    "LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp SET reusegraph.system = 'on'"
)
PUBLIC = "({0}.visibility = 'PUBLIC' OR {0}.type = 'GLOBAL_PARENT')"
TOTAL_KEY = "public, period, municipality_code, kind, currency"
CURRENT_XID = "pg_current_xact_id()::text::bigint"

# The key each touched process's records are counted under: the one recorded with its
# month sets (the process may be gone: a cascading delete), else the process's own.
_KEYS = f"""
      SELECT x.id AS process_id, coalesce(b.municipality_code, p.municipality_code) AS m,
             coalesce(b.public, {PUBLIC.format("p")}) AS pub
      FROM unnest($1) AS x(id)
      LEFT JOIN LATERAL (SELECT p.municipality_code, p.visibility, p.type FROM process p
                         WHERE p.id = x.id LIMIT 1) AS p ON true
      LEFT JOIN LATERAL (SELECT b.municipality_code, b.public FROM process_benefit_months b
                         WHERE b.process_id = x.id LIMIT 1) AS b ON true"""


def _add_totals(changes: str) -> str:
    """Add the changed rows (record columns and ``sign``) to the monthly totals."""
    statement = f"""
    INSERT INTO benefit_month_total AS t
      (municipality_code, public, period, kind, currency, records, hours, cases, money)
    SELECT k.m, k.pub, c.period, c.kind, coalesce(c.currency, ''), sum(c.sign),
           sum(c.sign * c.hours_saved), sum(c.sign * coalesce(c.cases, 0)),
           sum(c.sign * coalesce(c.money_amount, 0))
    FROM ({changes}) AS c JOIN ({_KEYS}) AS k ON k.process_id = c.process_id
    GROUP BY k.m, k.pub, c.period, c.kind, coalesce(c.currency, '')
    ON CONFLICT ({TOTAL_KEY}) DO UPDATE SET
      records = t.records + excluded.records, hours = t.hours + excluded.hours,
      cases = t.cases + excluded.cases, money = t.money + excluded.money"""
    return f"\n  EXECUTE $sql${statement}$sql$ USING ids;"


def _recompute_sets(pairs: str) -> str:
    """0006's recount of the touched (process, kind) month sets, the removal narrowed to
    the touched processes by key."""
    touched = f"SELECT DISTINCT process_id, kind FROM ({pairs}) AS y"
    gone = (
        f"DELETE FROM process_benefit_months b USING ({touched}) AS x"
        " WHERE b.process_id = ANY (ids) AND b.process_id = x.process_id AND b.kind = x.kind"
        " RETURNING b.municipality_code, b.public, b.kind, b.months"
    )
    fresh = (
        "INSERT INTO process_benefit_months (process_id, kind, municipality_code, public, months)"
        f" SELECT x.process_id, x.kind, p.municipality_code, {PUBLIC.format('p')}, m.months"
        f" FROM ({touched}) AS x"
        " CROSS JOIN LATERAL (SELECT p.municipality_code, p.visibility, p.type FROM process p"
        " WHERE p.id = x.process_id LIMIT 1) AS p"
        " CROSS JOIN LATERAL (SELECT array_agg(r.period ORDER BY r.period) AS months"
        " FROM benefit_record r WHERE r.process_id = x.process_id AND r.kind = x.kind) AS m"
        " WHERE m.months IS NOT NULL"
        " RETURNING municipality_code, public, kind, months"
    )
    return f"{_rollups._add_sets(gone, '-')}{_rollups._add_sets(fresh, '')}"


def _records_function(changes: str, pairs: str) -> str:
    return f"""
  ids := ARRAY(SELECT DISTINCT process_id FROM ({pairs}) AS x);
  {_rollups._lock("ids")}{_add_totals(changes)}{_recompute_sets(pairs)}"""


_NEW = "SELECT n.*, 1 AS sign FROM new_rows n"
_OLD = "SELECT o.*, -1 AS sign FROM old_rows o"

RECORDS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION benefit_rollup_records() RETURNS trigger {DEFINER} AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN{_records_function(_NEW, "SELECT process_id, kind FROM new_rows")}
  ELSIF TG_OP = 'UPDATE' THEN{
    _records_function(
        f"{_NEW} UNION ALL {_OLD}",
        "SELECT process_id, kind FROM new_rows UNION SELECT process_id, kind FROM old_rows",
    )
}
  ELSE{_records_function(_OLD, "SELECT process_id, kind FROM old_rows")}
  END IF;
  RETURN NULL;
END
$$
"""


def _touch_function(column: str) -> str:
    """A child row changed: its process's live log row moves, unless this transaction
    already moved it."""
    touched = {
        "INSERT": f"SELECT {column} FROM new_rows",
        "UPDATE": f"SELECT {column} FROM new_rows UNION SELECT {column} FROM old_rows",
        "DELETE": f"SELECT {column} FROM old_rows",
    }
    branches = "\n  ELS".join(
        f"""IF TG_OP = '{op_name}' THEN
    UPDATE process_change c SET xid = {CURRENT_XID},
      seq = nextval('process_change_seq'), changed_at = now()
    WHERE c.process_id IN ({select}) AND NOT c.deleted AND c.xid <> {CURRENT_XID};"""
        for op_name, select in touched.items()
    )
    return f"""
CREATE OR REPLACE FUNCTION process_change_touch_{column}() RETURNS trigger {DEFINER} AS $$
BEGIN
  {branches}
  END IF;
  RETURN NULL;
END
$$
"""


TOUCHED_BY = sorted(set(_sync.CHILDREN.values()))


def upgrade() -> None:
    op.execute(RECORDS_FUNCTION)
    for column in TOUCHED_BY:
        op.execute(_touch_function(column))


def downgrade() -> None:
    replace = ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    op.execute(_rollups.RECORDS_FUNCTION.replace(*replace))
    for column in TOUCHED_BY:
        op.execute(_sync._touch_function(column).replace(*replace))
