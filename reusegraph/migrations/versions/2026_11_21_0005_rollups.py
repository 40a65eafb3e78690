"""rollups: one narrow row per process for reuse ranking; child-row policies that can probe

Revision ID: 0005_rollups
Revises: 0004_sync
Create Date: 2026-11-21 12:00:00

``process_rollup`` (see ``store/models/rollups.py``) holds what ``reuseCandidates`` ranks
on: copies of the process's visibility, phase and scoring columns, its IT systems and
technologies as arrays, its realised (MEASURED) hours and how many other municipalities
publicly built on it. Measured at 100 000 processes, summing the benefit records and
probing the child tables for the ~8 000 eligible processes of one request took most of
a second; reading one narrow row each takes milliseconds.

Triggers keep it exact in the writing transaction (statement-level, transition tables,
SECURITY DEFINER with ``reusegraph.system`` on, like 0004's change log). Sums move by
deltas (``x = x + d`` re-reads the newest row version when two writers meet); arrays and
reuse counts are recomputed after ``SELECT ... FOR UPDATE`` of the rows in id order, so
under READ COMMITTED the recount's own statement sees what a writer that held the lock
committed.

Child-row policies: 0003 reads ``process_id IN (SELECT p.id FROM process p)``, which
PostgreSQL can only run as a hashed SubPlan: every statement that touches a child table
scans all readable processes first (about 100 ms per reference at 100 000 processes, two
per reuse link; ``reuseCandidates`` timed out). The same rule as a correlated EXISTS lets
the planner choose per statement between that hashed set (it still converts EXISTS to a
hashed ANY when many rows are read) and a primary-key probe per row (when few are). Who
may read what does not change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_rollups"
down_revision: str | None = "0004_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "reusegraph_api"
SYSTEM = "current_setting('reusegraph.system', true) = 'on'"
MEMBER_OF = "NULLIF(current_setting('reusegraph.member_of', true), '')"
SUBJECT = "NULLIF(current_setting('reusegraph.subject', true), '')"
READABLE = f"""
    {SYSTEM}
    OR visibility = 'PUBLIC'
    OR type = 'GLOBAL_PARENT'
    OR (municipality_code = {MEMBER_OF}
        AND (visibility = 'MUNICIPALITY'
             OR (visibility = 'PERSONAL'
                 AND (reporter = {SUBJECT} OR {SUBJECT} = ANY (co_editors)))))
"""
DEFINER = (
    "LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp SET reusegraph.system = 'on'"
)
LEVELS = (
    "level_of_professional_assessment",
    "level_of_change",
    "level_of_structured_information",
    "level_of_uniformity",
    "level_of_digital_information",
    "level_of_quality",
    "level_of_speed",
    "level_of_routine_work_reduction",
    "evaluated_level_of_roi",
)
COPIED = (
    "municipality_code",
    "phase",
    "visibility",
    "type",
    "reporter",
    "co_editors",
    "runs_per_year",
    "minutes_per_run",
    "automation_percentage",
    *LEVELS,
)
CODES = "classification_codes(n.kle, n.form, n.kla, n.k_codes::text[])"


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    level = sa.String(length=9)
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=7), nullable=False),
        sa.Column("phase", sa.String(length=14), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("type", sa.String(length=13), nullable=False),
        sa.Column("reporter", sa.String(length=255), nullable=True),
        sa.Column("co_editors", sa.ARRAY(sa.String(length=255)), nullable=False),
        sa.Column("codes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("runs_per_year", sa.Integer(), nullable=True),
        sa.Column("minutes_per_run", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("automation_percentage", sa.Integer(), nullable=True),
        *(sa.Column(name, level, nullable=False) for name in LEVELS),
        sa.Column("it_systems", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("technologies", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("realised_hours", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("measured_records", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reused_by", sa.Integer(), server_default="0", nullable=False),
        sa.Column("builds_on_public", sa.Boolean(), server_default="false", nullable=False),
    ]


def _lock(ids: str) -> str:
    return f"PERFORM 1 FROM process_rollup WHERE id = ANY ({ids}) ORDER BY id FOR UPDATE;"


PUBLIC = "({0}.visibility = 'PUBLIC' OR {0}.type = 'GLOBAL_PARENT')"

# ``origins``: distinct other municipalities with a publicly readable process built on each;
# ``copies``: whether each was built on a publicly readable process.
RECOUNT = f"""
    {_lock("origins || copies")}
    UPDATE process_rollup r SET reused_by = (
        SELECT count(DISTINCT d.municipality_code)
        FROM reuse_link l JOIN process d ON d.id = l.derived_id
        WHERE l.origin_id = r.id AND d.municipality_code <> r.municipality_code
          AND {PUBLIC.format("d")})
    WHERE r.id = ANY (origins);
    UPDATE process_rollup r SET builds_on_public = EXISTS (
        SELECT FROM reuse_link l JOIN process o ON o.id = l.origin_id
        WHERE l.derived_id = r.id AND {PUBLIC.format("o")})
    WHERE r.id = ANY (copies);
"""

_copy_list = ", ".join(COPIED)
_copy_values = ", ".join(f"n.{c}" for c in COPIED)
_copy_set = ", ".join(f"{c} = n.{c}" for c in COPIED)
PROCESS_FUNCTION = f"""
CREATE FUNCTION process_rollup_process() RETURNS trigger {DEFINER} AS $$
DECLARE
  ids uuid[];
  origins uuid[];
  copies uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO process_rollup (id, {_copy_list}, codes)
    SELECT n.id, {_copy_values}, {CODES} FROM new_rows n;
    RETURN NULL;
  END IF;
  UPDATE process_rollup r SET {_copy_set}, codes = {CODES}
  FROM new_rows n
  WHERE r.id = n.id
    AND (r.{", r.".join(COPIED)}, r.codes) IS DISTINCT FROM ({_copy_values}, {CODES});
  -- Who may read a process, or where it belongs, decides whom it counts as reuse for.
  ids := ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.visibility, n.type, n.municipality_code)
          IS DISTINCT FROM (o.visibility, o.type, o.municipality_code));
  IF cardinality(ids) > 0 THEN
    origins := ARRAY(SELECT l.origin_id FROM reuse_link l WHERE l.derived_id = ANY (ids)
                     UNION SELECT unnest(ids));
    copies := ARRAY(SELECT l.derived_id FROM reuse_link l WHERE l.origin_id = ANY (ids));
    {RECOUNT}
  END IF;
  RETURN NULL;
END
$$
"""

_MEASURED_NEW = (
    "SELECT process_id, hours_saved AS hours, 1 AS records FROM new_rows WHERE kind = 'MEASURED'"
)
_MEASURED_OLD = "SELECT process_id, -hours_saved, -1 FROM old_rows WHERE kind = 'MEASURED'"


def _add(rows: str) -> str:
    return f"""
    UPDATE process_rollup r SET realised_hours = r.realised_hours + d.hours,
                                measured_records = r.measured_records + d.records
    FROM (SELECT process_id, sum(hours) AS hours, sum(records) AS records
          FROM ({rows}) AS m GROUP BY process_id) AS d
    WHERE r.id = d.process_id AND (d.hours <> 0 OR d.records <> 0);"""


BENEFIT_FUNCTION = f"""
CREATE FUNCTION process_rollup_benefits() RETURNS trigger {DEFINER} AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_add(_MEASURED_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN{_add(f"{_MEASURED_NEW} UNION ALL {_MEASURED_OLD}")}
  ELSE{_add(_MEASURED_OLD.replace("-hours_saved, -1", "-hours_saved AS hours, -1 AS records"))}
  END IF;
  RETURN NULL;
END
$$
"""


def _array_function(table: str, column: str, target: str) -> str:
    return f"""
CREATE FUNCTION process_rollup_{target}() RETURNS trigger {DEFINER} AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT DISTINCT process_id FROM new_rows);
  ELSIF TG_OP = 'UPDATE' THEN
    ids := ARRAY(SELECT process_id FROM new_rows UNION SELECT process_id FROM old_rows);
  ELSE
    ids := ARRAY(SELECT DISTINCT process_id FROM old_rows);
  END IF;
  {_lock("ids")}
  UPDATE process_rollup r SET {target} = coalesce(
    (SELECT array_agg(c.{column}::text ORDER BY c.{column}) FROM {table} c
     WHERE c.process_id = r.id), '{{}}')
  WHERE r.id = ANY (ids);
  RETURN NULL;
END
$$
"""


REUSE_FUNCTION = f"""
CREATE FUNCTION process_rollup_reuse() RETURNS trigger {DEFINER} AS $$
DECLARE
  origins uuid[];
  copies uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    origins := ARRAY(SELECT DISTINCT origin_id FROM new_rows);
    copies := ARRAY(SELECT DISTINCT derived_id FROM new_rows);
  ELSIF TG_OP = 'UPDATE' THEN
    origins := ARRAY(SELECT origin_id FROM new_rows UNION SELECT origin_id FROM old_rows);
    copies := ARRAY(SELECT derived_id FROM new_rows UNION SELECT derived_id FROM old_rows);
  ELSE
    origins := ARRAY(SELECT DISTINCT origin_id FROM old_rows);
    copies := ARRAY(SELECT DISTINCT derived_id FROM old_rows);
  END IF;
  {RECOUNT}
  RETURN NULL;
END
$$
"""

# table -> (trigger function, events)
TRIGGERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "process": ("process_rollup_process", ("insert", "update")),
    "benefit_record": ("process_rollup_benefits", ("insert", "update", "delete")),
    "process_it_system": ("process_rollup_it_systems", ("insert", "update", "delete")),
    "process_technology": ("process_rollup_technologies", ("insert", "update", "delete")),
    "reuse_link": ("process_rollup_reuse", ("insert", "update", "delete")),
}
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows"),
    "update": ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
    "delete": ("DELETE", "OLD TABLE AS old_rows"),
}

BACKFILL = f"""
INSERT INTO process_rollup
  (id, {_copy_list}, codes, it_systems, technologies, realised_hours, measured_records,
   reused_by, builds_on_public)
SELECT n.id, {_copy_values}, {CODES},
       coalesce(s.codes, '{{}}'), coalesce(t.codes, '{{}}'), coalesce(b.hours, 0),
       coalesce(b.records, 0), coalesce(u.reused_by, 0),
       EXISTS (SELECT FROM reuse_link l JOIN process o ON o.id = l.origin_id
               WHERE l.derived_id = n.id AND {PUBLIC.format("o")})
FROM process n
LEFT JOIN (SELECT process_id, array_agg(it_system_code::text ORDER BY it_system_code) AS codes
           FROM process_it_system GROUP BY process_id) s ON s.process_id = n.id
LEFT JOIN (SELECT process_id, array_agg(technology_code::text ORDER BY technology_code) AS codes
           FROM process_technology GROUP BY process_id) t ON t.process_id = n.id
LEFT JOIN (SELECT process_id, sum(hours_saved) AS hours, count(*) AS records FROM benefit_record
           WHERE kind = 'MEASURED' GROUP BY process_id) b ON b.process_id = n.id
LEFT JOIN (SELECT l.origin_id, count(DISTINCT d.municipality_code) AS reused_by
           FROM reuse_link l
           JOIN process d ON d.id = l.derived_id
           JOIN process o ON o.id = l.origin_id
           WHERE d.municipality_code <> o.municipality_code AND {PUBLIC.format("d")}
           GROUP BY l.origin_id) u ON u.origin_id = n.id
"""


def _exists(column: str, table: str) -> str:
    return f"EXISTS (SELECT FROM process p WHERE p.id = {table}.{column})"


def _own_or_shared_exists(flag: str, table: str) -> str:
    return (
        f"{SYSTEM} OR ({_exists('process_id', table)} AND ({flag} OR EXISTS"
        f" (SELECT FROM process p WHERE p.id = {table}.process_id"
        f" AND p.municipality_code = {MEMBER_OF})))"
    )


def _own_or_shared_in(flag: str) -> str:
    return (
        f"{SYSTEM} OR (process_id IN (SELECT p.id FROM process p) AND ({flag}"
        f" OR process_id IN (SELECT p.id FROM process p WHERE p.municipality_code = {MEMBER_OF})))"
    )


# table -> (read policy as EXISTS, read policy as 0003 wrote it)
READ_POLICIES: dict[str, tuple[str, str]] = {
    **{
        table: (
            f"{SYSTEM} OR {_exists(column, table)}",
            f"{SYSTEM} OR {column} IN (SELECT p.id FROM process p)",
        )
        for table, column in (
            ("benefit_record", "process_id"),
            ("process_it_system", "process_id"),
            ("process_technology", "process_id"),
            ("process_umbrella", "child_id"),
            ("meeting_process", "process_id"),
        )
    },
    "process_link": (
        _own_or_shared_exists("NOT internal", "process_link"),
        _own_or_shared_in("NOT internal"),
    ),
    "process_attachment": (
        _own_or_shared_exists("shared", "process_attachment"),
        _own_or_shared_in("shared"),
    ),
    "reuse_link": (
        f"{SYSTEM} OR ({_exists('derived_id', 'reuse_link')}"
        f" AND {_exists('origin_id', 'reuse_link')})",
        f"{SYSTEM} OR (derived_id IN (SELECT p.id FROM process p)"
        " AND origin_id IN (SELECT p.id FROM process p))",
    ),
}


def upgrade() -> None:
    op.create_table(
        "process_rollup",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["id"], ["process.id"], name=op.f("fk_process_rollup_id_process"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_rollup")),
    )
    # The migration reads every row, whatever row-level security would show its user.
    op.execute("SELECT set_config('reusegraph.system', 'on', true)")
    op.execute(BACKFILL)
    op.execute("SELECT set_config('reusegraph.system', '', true)")
    op.create_index("ix_process_rollup_municipality_code", "process_rollup", ["municipality_code"])
    op.create_index(
        "ix_process_rollup_it_systems", "process_rollup", ["it_systems"], postgresql_using="gin"
    )
    op.create_index("ix_process_rollup_reused_by", "process_rollup", ["reused_by"])

    op.execute(PROCESS_FUNCTION)
    op.execute(BENEFIT_FUNCTION)
    op.execute(_array_function("process_it_system", "it_system_code", "it_systems"))
    op.execute(_array_function("process_technology", "technology_code", "technologies"))
    op.execute(REUSE_FUNCTION)
    for table, (function, events) in TRIGGERS.items():
        for name in events:
            event, referencing = EVENTS[name]
            op.execute(
                f"CREATE TRIGGER {table}_rollup_{name} AFTER {event} ON {table}"
                f" REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )

    op.execute("ALTER TABLE process_rollup ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE process_rollup FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY process_rollup_read ON process_rollup FOR SELECT USING ({READABLE})")
    op.execute(
        f"CREATE POLICY process_rollup_write ON process_rollup FOR ALL"
        f" USING ({SYSTEM}) WITH CHECK ({SYSTEM})"
    )
    op.execute(f"REVOKE ALL ON process_rollup FROM {ROLE}")
    op.execute(f"GRANT SELECT ON process_rollup TO {ROLE}")

    for table, (exists, _) in READ_POLICIES.items():
        op.execute(f"ALTER POLICY {table}_read ON {table} USING ({exists})")


def downgrade() -> None:
    for table, (_, in_subquery) in READ_POLICIES.items():
        op.execute(f"ALTER POLICY {table}_read ON {table} USING ({in_subquery})")
    for table, (_, events) in TRIGGERS.items():
        for name in events:
            op.execute(f"DROP TRIGGER {table}_rollup_{name} ON {table}")
    for function in {function for function, _ in TRIGGERS.values()}:
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_index("ix_process_rollup_reused_by", table_name="process_rollup")
    op.drop_index("ix_process_rollup_it_systems", table_name="process_rollup")
    op.drop_index("ix_process_rollup_municipality_code", table_name="process_rollup")
    op.drop_table("process_rollup")
