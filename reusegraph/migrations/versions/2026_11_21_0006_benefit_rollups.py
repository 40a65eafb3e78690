"""benefit rollups: monthly totals and month sets per municipality, for benefitSummary

Revision ID: 0006_benefit_rollups
Revises: 0005_rollups
Create Date: 2026-11-21 15:00:00

``benefitSummary(groupBy: MUNICIPALITY)`` over a year read ~900 000 benefit records at
100 000 processes (2 s: a join to ``process`` per record, then an external sort for the
distinct counts). Three tables (see ``store/models/rollups.py``) answer the summaries that
group and filter on municipality, country, time and kind from a few thousand rows:

``benefit_month_total``  per municipality, public-or-not, month, kind and currency: the
                         record count and the sums (hours, cases, money);
``benefit_month_set``    per municipality, public-or-not, kind and *set of months*: how
                         many processes have records in exactly those months, so the
                         processes with a record in any range of months are counted
                         exactly (a process is counted once, whatever its gaps);
``process_benefit_months`` per process and kind, its set of months and the key it is
                         counted under (no foreign key: when a process is deleted, the
                         cascade's trigger still finds what to subtract).

A row whose records all went stays, with ``records = 0`` (``processes = 0``), and the
reads skip it: deleting such rows in every statement meant, in a bulk load of one record per
statement, walking the dead versions of every row emptied so far.

``ix_process_rollup_municipality_code`` also carries the id and the visibility columns, so
reading one municipality's processes (reuseGraph's link set, reuseCandidates' own
processes) is an Index Only Scan, row-level security included, instead of a Bitmap Heap
Scan of one page per process.

"Public" is what anyone may read (PUBLIC, or a shared umbrella). Only public rows are
readable through row-level security; a member's own municipality's internal processes
are added per query from the records themselves (one municipality's).

Statement-level triggers (SECURITY DEFINER, ``reusegraph.system`` on, like 0004 and 0005)
keep the tables exact in the writing transaction: benefit records add and subtract their
deltas and recompute the month sets of the (process, kind) pairs they touch, after
``SELECT ... FOR UPDATE`` of those processes' rollup rows in id order; a process whose
municipality or public-ness changes moves its contributions. Every join from the changed
rows is a LATERAL probe by primary key, so a trigger costs the same in a bulk load whose
tables have no statistics yet. The probes of ``process`` carry ``LIMIT 1`` (it is the
primary key: one row at most) so the planner cannot flatten them into a join: a plan
PL/pgSQL cached while the transition table held one row, reused for 10 000, scanned all
of ``process`` per row that way (PostgreSQL 15; 9 s for one sync page).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_benefit_rollups"
down_revision: str | None = "0005_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "reusegraph_api"
SYSTEM = "current_setting('reusegraph.system', true) = 'on'"
DEFINER = (
    "LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp SET reusegraph.system = 'on'"
)
PUBLIC = "({0}.visibility = 'PUBLIC' OR {0}.type = 'GLOBAL_PARENT')"
TOTAL_KEY = "public, period, municipality_code, kind, currency"
COVERED = ("visibility", "type", "reporter", "co_editors")
"""What row-level security and ``readable_processes`` read of a rollup row."""
SET_KEY = "public, municipality_code, kind, months"


def _lock(ids: str) -> str:
    return f"PERFORM 1 FROM process_rollup WHERE id = ANY ({ids}) ORDER BY id FOR UPDATE;"


def _add_totals(source: str) -> str:
    """Add ``source``'s rows (key, sign, record columns) to the monthly totals."""
    return f"""
    INSERT INTO benefit_month_total AS t
      (municipality_code, public, period, kind, currency, records, hours, cases, money)
    SELECT m, pub, period, kind, coalesce(currency, ''), sum(sign), sum(sign * hours_saved),
           sum(sign * coalesce(cases, 0)), sum(sign * coalesce(money_amount, 0))
    FROM ({source}) AS d
    GROUP BY m, pub, period, kind, coalesce(currency, '')
    ON CONFLICT ({TOTAL_KEY}) DO UPDATE SET
      records = t.records + excluded.records, hours = t.hours + excluded.hours,
      cases = t.cases + excluded.cases, money = t.money + excluded.money;"""


def _add_sets(source: str, sign: str) -> str:
    """Count ``source``'s (municipality_code, public, kind, months) rows into the sets."""
    return f"""
    WITH g AS ({source})
    INSERT INTO benefit_month_set AS s (municipality_code, public, kind, months, processes)
    SELECT municipality_code, public, kind, months, {sign}count(*) FROM g
    GROUP BY municipality_code, public, kind, months
    ON CONFLICT ({SET_KEY}) DO UPDATE SET processes = s.processes + excluded.processes;"""


# The key a process's records are counted under: the one recorded with its month sets
# (the process may be gone: a cascading delete), else the process's own.
def _keyed(changes: str) -> str:
    return f"""
      SELECT c.*, coalesce(b.municipality_code, p.municipality_code) AS m,
             coalesce(b.public, {PUBLIC.format("p")}) AS pub
      FROM ({changes}) AS c
      LEFT JOIN LATERAL (SELECT p.municipality_code, p.visibility, p.type FROM process p
                         WHERE p.id = c.process_id LIMIT 1) AS p ON true
      LEFT JOIN LATERAL (SELECT b.municipality_code, b.public FROM process_benefit_months b
                         WHERE b.process_id = c.process_id LIMIT 1) AS b ON true"""


_NEW = "SELECT n.*, 1 AS sign FROM new_rows n"
_OLD = "SELECT o.*, -1 AS sign FROM old_rows o"


def _recompute_sets(pairs: str) -> str:
    """Replace the month sets of the (process_id, kind) pairs of ``pairs``: each pair's
    records through the unique index, whatever the planner knows of the table's size (a
    bulk load has no statistics yet)."""
    fresh = (
        "INSERT INTO process_benefit_months (process_id, kind, municipality_code, public, months)"
        f" SELECT x.process_id, x.kind, p.municipality_code, {PUBLIC.format('p')}, m.months"
        f" FROM (SELECT DISTINCT process_id, kind FROM ({pairs}) AS y) AS x"
        " CROSS JOIN LATERAL (SELECT p.municipality_code, p.visibility, p.type FROM process p"
        " WHERE p.id = x.process_id LIMIT 1) AS p"
        " CROSS JOIN LATERAL (SELECT array_agg(r.period ORDER BY r.period) AS months"
        " FROM benefit_record r WHERE r.process_id = x.process_id AND r.kind = x.kind) AS m"
        " WHERE m.months IS NOT NULL"
        " RETURNING municipality_code, public, kind, months"
    )
    gone = (
        f"DELETE FROM process_benefit_months b USING ({pairs}) AS x"
        " WHERE b.process_id = x.process_id AND b.kind = x.kind"
        " RETURNING b.municipality_code, b.public, b.kind, b.months"
    )
    return f"""{_add_sets(gone, "-")}{_add_sets(fresh, "")}"""


def _records_function(changes: str, pairs: str) -> str:
    return f"""
  ids := ARRAY(SELECT DISTINCT process_id FROM ({pairs}) AS x);
  {_lock("ids")}{_add_totals(_keyed(changes))}{_recompute_sets(pairs)}"""


RECORDS_FUNCTION = f"""
CREATE FUNCTION benefit_rollup_records() RETURNS trigger {DEFINER} AS $$
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

_MOVED_KEYS = f"""
      SELECT DISTINCT b.process_id, b.municipality_code AS m, b.public AS pub, -1 AS sign
      FROM process_benefit_months b WHERE b.process_id = ANY (ids)
      UNION ALL
      SELECT p.id, p.municipality_code, {PUBLIC.format("p")}, 1 FROM process p
      WHERE p.id = ANY (ids)
        AND EXISTS (SELECT FROM process_benefit_months b WHERE b.process_id = p.id)"""

PROCESS_FUNCTION = f"""
CREATE FUNCTION benefit_rollup_process() RETURNS trigger {DEFINER} AS $$
DECLARE
  ids uuid[];
BEGIN
  ids := ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.municipality_code, {PUBLIC.format("n")})
          IS DISTINCT FROM (o.municipality_code, {PUBLIC.format("o")}));
  IF cardinality(ids) = 0 THEN
    RETURN NULL;
  END IF;
  {_lock("ids")}
  {
    _add_totals(
        "SELECT r.*, k.m, k.pub, k.sign FROM benefit_record r"
        f" JOIN ({_MOVED_KEYS}) AS k ON k.process_id = r.process_id"
    )
}
  {
    _add_sets(
        "SELECT municipality_code, public, kind, months FROM process_benefit_months"
        " WHERE process_id = ANY (ids)",
        "-",
    )
}
  UPDATE process_benefit_months b
  SET municipality_code = p.municipality_code, public = {PUBLIC.format("p")}
  FROM process p WHERE p.id = b.process_id AND b.process_id = ANY (ids);
  {
    _add_sets(
        "SELECT municipality_code, public, kind, months FROM process_benefit_months"
        " WHERE process_id = ANY (ids)",
        "",
    )
}
  RETURN NULL;
END
$$
"""

# TRUNCATE (also ``TRUNCATE process CASCADE``) empties the records: the rollups too.
TRUNCATE_FUNCTION = f"""
CREATE FUNCTION benefit_rollup_truncate() RETURNS trigger {DEFINER} AS $$
BEGIN
  DELETE FROM benefit_month_total;
  DELETE FROM benefit_month_set;
  DELETE FROM process_benefit_months;
  RETURN NULL;
END
$$
"""

TRIGGERS = (
    ("benefit_record", "benefit_rollup_records", ("insert", "update", "delete")),
    ("benefit_record", "benefit_rollup_truncate", ("truncate",)),
    ("process", "benefit_rollup_process", ("update",)),
)
EVENTS = {
    "insert": ("INSERT", " REFERENCING NEW TABLE AS new_rows"),
    "update": ("UPDATE", " REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows"),
    "delete": ("DELETE", " REFERENCING OLD TABLE AS old_rows"),
    "truncate": ("TRUNCATE", ""),
}

BACKFILL = (
    f"""
INSERT INTO process_benefit_months (process_id, kind, municipality_code, public, months)
SELECT r.process_id, r.kind, p.municipality_code, {PUBLIC.format("p")},
       array_agg(r.period ORDER BY r.period)
FROM benefit_record r JOIN process p ON p.id = r.process_id
GROUP BY r.process_id, r.kind, p.municipality_code, p.visibility, p.type
""",
    """
INSERT INTO benefit_month_set (municipality_code, public, kind, months, processes)
SELECT municipality_code, public, kind, months, count(*) FROM process_benefit_months
GROUP BY municipality_code, public, kind, months
""",
    f"""
INSERT INTO benefit_month_total
  (municipality_code, public, period, kind, currency, records, hours, cases, money)
SELECT p.municipality_code, {PUBLIC.format("p")}, r.period, r.kind, coalesce(r.currency, ''),
       count(*), sum(r.hours_saved), sum(coalesce(r.cases, 0)), sum(coalesce(r.money_amount, 0))
FROM benefit_record r JOIN process p ON p.id = r.process_id
GROUP BY 1, 2, 3, 4, 5
""",
)

TABLES = ("benefit_month_total", "benefit_month_set", "process_benefit_months")


def _key() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("municipality_code", sa.String(length=7), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "benefit_month_total",
        *_key(),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=9), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.Column("money", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(*TOTAL_KEY.split(", "), name=op.f("pk_benefit_month_total")),
    )
    op.create_table(
        "benefit_month_set",
        *_key(),
        sa.Column("kind", sa.String(length=9), nullable=False),
        sa.Column("months", sa.ARRAY(sa.Date()), nullable=False),
        sa.Column("processes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*SET_KEY.split(", "), name=op.f("pk_benefit_month_set")),
    )
    op.create_table(
        "process_benefit_months",
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=9), nullable=False),
        *_key(),
        sa.Column("months", sa.ARRAY(sa.Date()), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "kind", name=op.f("pk_process_benefit_months")),
    )
    op.drop_index("ix_process_rollup_municipality_code", table_name="process_rollup")
    op.create_index(
        "ix_process_rollup_municipality_code",
        "process_rollup",
        ["municipality_code", "id"],
        postgresql_include=list(COVERED),
    )
    op.execute("SELECT set_config('reusegraph.system', 'on', true)")
    for statement in BACKFILL:
        op.execute(statement)
    op.execute("SELECT set_config('reusegraph.system', '', true)")

    op.execute(RECORDS_FUNCTION)
    op.execute(PROCESS_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    for table, function, events in TRIGGERS:
        for name in events:
            event, referencing = EVENTS[name]
            op.execute(
                f"CREATE TRIGGER {table}_benefit_rollup_{name} AFTER {event} ON {table}"
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )

    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_write ON {table} FOR ALL USING ({SYSTEM}) WITH CHECK ({SYSTEM})"
        )
        op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    # Sums over what anyone may read are readable by anyone; the per-process table is not.
    for table in TABLES[:2]:
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({SYSTEM} OR public)")
        op.execute(f"GRANT SELECT ON {table} TO {ROLE}")


def downgrade() -> None:
    for table, _, events in TRIGGERS:
        for name in events:
            op.execute(f"DROP TRIGGER {table}_benefit_rollup_{name} ON {table}")
    op.execute("DROP FUNCTION benefit_rollup_truncate()")
    op.execute("DROP FUNCTION benefit_rollup_process()")
    op.execute("DROP FUNCTION benefit_rollup_records()")
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_index("ix_process_rollup_municipality_code", table_name="process_rollup")
    op.create_index("ix_process_rollup_municipality_code", "process_rollup", ["municipality_code"])
