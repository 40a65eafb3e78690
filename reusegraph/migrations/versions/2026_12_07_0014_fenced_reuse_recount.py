"""reuse recount by hash joins: the rollup triggers' reuse counts no longer depend on statistics

Revision ID: 0014_fenced_reuse_recount
Revises: 0013_pending_umbrella
Create Date: 2026-12-07 11:30:00

Loading the bench's 100 000 processes stalled for minutes in ``INSERT INTO reuse_link``
on the PostgreSQL 15 service (one backend at 100 % CPU in ``process_rollup_reuse``). That
service runs with ``autovacuum = off``, so a fresh database has no statistics at all while
it fills. auto_explain of the trigger's statements (20 000 processes, 2 648 links in one
statement) showed 0005's recount of ``reused_by`` taking 40 s of the 41 s insert: a
correlated subquery per origin, planned with ``process`` as the outer side of a nested
loop (estimated 1 row, actually 20 000; RLS quals and wide rows shrink the guess further)
and ``reuse_link`` probed for each, so each of the 2 487 origins scanned every process
(37.7 million probes). Fencing the lookups (``LATERAL ... LIMIT 1``) was tried: the
planner then probed ``process`` through ``ix_process_updated_at_id`` (id as its second
column, a full index scan per link), equally quadratic, because without statistics every
index looks as cheap as the primary key.

So the recount is one statement per trigger firing and per column, grouped over the
touched links. While ``process_rollup`` or ``reuse_link`` has never been analysed, nested
loops are switched off for those two statements (``set_config``, local, restored after):
the plan is then hash joins, linear in the table sizes whatever the estimates (65 ms and
45 ms here, instead of 40 s). With statistics the planner chooses, as before: index probes
for the few links of a sync page (three full scans of ``process_rollup`` per firing
would add up over a first sync's pages). It reads the narrow
``process_rollup`` copies of municipality, visibility and type instead of ``process``. It
runs through ``EXECUTE`` so each firing is planned with its arrays as constants (hashed
``= ANY``), not with a generic plan cached from a one-link insert. Rows whose count does not
change are no longer rewritten. What the columns hold is unchanged.
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0014_fenced_reuse_recount"
down_revision: str | None = "0013_pending_umbrella"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSIONS = "reusegraph.migrations.versions."
_rollups = importlib.import_module(_VERSIONS + "2026_11_21_0005_rollups")

PUBLIC = "({0}.visibility = 'PUBLIC' OR {0}.type = 'GLOBAL_PARENT')"

_LOCK = """
    EXECUTE $sql$SELECT 1 FROM process_rollup WHERE id = ANY ($1) ORDER BY id FOR UPDATE$sql$
      USING origins || copies;"""

# ``origins``: distinct other municipalities with a publicly readable process built on each;
# ``copies``: whether each was built on a publicly readable process.
_REUSED_BY = f"""
    EXECUTE $sql$
    UPDATE process_rollup r SET reused_by = coalesce(c.n, 0)
    FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) AS x
    LEFT JOIN (SELECT l.origin_id, count(DISTINCT d.municipality_code) AS n
               FROM reuse_link l
               JOIN process_rollup d ON d.id = l.derived_id
               JOIN process_rollup o ON o.id = l.origin_id
               WHERE l.origin_id = ANY ($1) AND d.municipality_code <> o.municipality_code
                 AND {PUBLIC.format("d")}
               GROUP BY l.origin_id) AS c ON c.origin_id = x.id
    WHERE r.id = x.id AND r.reused_by IS DISTINCT FROM coalesce(c.n, 0)
    $sql$ USING origins;"""

_BUILDS_ON_PUBLIC = f"""
    EXECUTE $sql$
    UPDATE process_rollup r SET builds_on_public = b.id IS NOT NULL
    FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) AS x
    LEFT JOIN (SELECT DISTINCT l.derived_id AS id
               FROM reuse_link l JOIN process_rollup o ON o.id = l.origin_id
               WHERE l.derived_id = ANY ($1) AND {PUBLIC.format("o")}) AS b ON b.id = x.id
    WHERE r.id = x.id AND r.builds_on_public IS DISTINCT FROM (b.id IS NOT NULL)
    $sql$ USING copies;"""

# Hash joins only while a table has no statistics (never analysed: reltuples -1 on
# PostgreSQL 14+; or analysed empty):
# see the module's docstring. With statistics the planner's own choice is kept.
UNANALYSED = (
    "EXISTS (SELECT FROM pg_class WHERE oid IN ('process_rollup'::regclass,"
    " 'reuse_link'::regclass) AND (reltuples < 0 OR relpages = 0))"
)
RECOUNT = f"""{_LOCK}
    IF {UNANALYSED} THEN
      nestloop := current_setting('enable_nestloop');
      PERFORM set_config('enable_nestloop', 'off', true);
    END IF;{_REUSED_BY}{_BUILDS_ON_PUBLIC}
    IF nestloop IS NOT NULL THEN
      PERFORM set_config('enable_nestloop', nestloop, true);
    END IF;
"""

_REPLACE = ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def _with_recount(function: str, recount: str) -> str:
    assert _rollups.RECOUNT in function
    assert function.count("DECLARE\n") == 1
    function = function.replace("DECLARE\n", "DECLARE\n  nestloop text;\n")
    return function.replace(_rollups.RECOUNT, recount).replace(*_REPLACE)


def upgrade() -> None:
    op.execute(_with_recount(_rollups.PROCESS_FUNCTION, RECOUNT))
    op.execute(_with_recount(_rollups.REUSE_FUNCTION, RECOUNT))


def downgrade() -> None:
    op.execute(_rollups.PROCESS_FUNCTION.replace(*_REPLACE))
    op.execute(_rollups.REUSE_FUNCTION.replace(*_REPLACE))
