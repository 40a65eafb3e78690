"""The reuse benchmark's scenarios: issue 5's queries and exports, and whom they ask about.

Each GraphQL scenario is a file ``queries/reuse_*.graphql`` with variables; the values
(a municipality, a process with versions elsewhere, the root of a deep lineage, ...) are
looked up in the data set itself, so the same scenarios run on the demo data and on the
synthetic set. Every scenario runs twice: anonymously, and as a member of ``municipality``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import orjson

from reusegraph.store.urls import asyncpg_dsn

QUERIES = Path(__file__).with_name("queries")
ACTIVE_ON = "2025-06-01"
"""A day the agreements of both data sets were in force (they end in 2026)."""
DOMAIN = "HEALTH"


@dataclass(frozen=True)
class Targets:
    """What the scenarios ask about in one data set."""

    municipality: str
    """The caller's municipality (member runs) and the subject of per-municipality queries."""
    neighbours: tuple[str, ...]
    """Three municipalities for the reuse graph and reuse given/taken."""
    process: str
    """A readable process with versions in other municipalities (similarProcesses)."""
    lineage_root: str
    """The public process with the most public descendants (lineage)."""
    benefits: tuple[str, str, str]
    """A municipality with benefit records, and the first and last month to summarise."""


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    variables: Callable[[Targets], dict[str, Any]] = lambda _: {}
    export: Callable[[Targets], dict[str, str]] | None = None
    """Query parameters of ``GET /export/processes.csv``; None: a GraphQL query."""
    query: str | None = None
    """The query file's name without ``.graphql`` when it is not ``key``."""

    @property
    def query_file(self) -> Path:
        return QUERIES / f"{self.query or self.key}.graphql"

    def request(self, targets: Targets) -> dict[str, Any]:
        """Method, path and body; headers are the caller's, added by the runner."""
        if self.export is not None:
            query = urlencode(self.export(targets))
            return {
                "method": "GET",
                "path": "/export/processes.csv" + (f"?{query}" if query else ""),
            }
        body = {"query": self.query_file.read_text(), "variables": self.variables(targets)}
        return {"method": "POST", "path": "/graphql", "body": orjson.dumps(body).decode()}


SCENARIOS = (
    Scenario(
        "reuse_candidates",
        "reuseCandidates(municipality, first: 20) with explanations",
        lambda t: {"municipality": t.municipality},
    ),
    Scenario(
        "reuse_similar",
        "similarProcesses(id, first: 10)",
        lambda t: {"process": t.process},
    ),
    Scenario("reuse_leaderboard", "reuseLeaderboard(from: 2018-01-01, first: 20)"),
    Scenario(
        "reuse_graph_default",
        "reuseGraph(3 municipalities), default page (first: 50)",
        lambda t: {"municipalities": list(t.neighbours), "first": None},
        query="reuse_graph",
    ),
    Scenario(
        "reuse_graph",
        "reuseGraph(3 municipalities, first: 100), as GraphiQL example 14",
        lambda t: {"municipalities": list(t.neighbours), "first": 100},
    ),
    Scenario(
        "reuse_graph_500",
        "reuseGraph(3 municipalities, first: 500), the largest page",
        lambda t: {"municipalities": list(t.neighbours), "first": 500},
        query="reuse_graph",
    ),
    Scenario(
        "reuse_given_taken",
        "Municipality.reuseGiven / reuseTaken for 3 municipalities",
        lambda t: {"municipalities": list(t.neighbours)},
    ),
    Scenario(
        "reuse_lineage",
        "Process.lineage (ancestors + descendants) of the most reused process",
        lambda t: {"process": t.lineage_root},
    ),
    Scenario(
        "reuse_processes_by_score",
        "processes(municipality, orderBy: SCORE, first: 20) + totalCount",
        lambda t: {"municipality": t.municipality},
    ),
    Scenario(
        "reuse_benefit_summary",
        "benefitSummary(groupBy: YEAR, one municipality's months): realised vs estimated + series",
        lambda t: dict(zip(("municipality", "from", "to"), t.benefits, strict=True)),
    ),
    Scenario(
        "reuse_benefit_summary_all",
        "benefitSummary(groupBy: MUNICIPALITY, all, 12 months): realised vs estimated",
    ),
    Scenario(
        "reuse_vendors",
        f"vendors on active agreements that delivered in {DOMAIN}, with processesDelivered",
        lambda _: {"activeOn": ACTIVE_ON, "domain": DOMAIN},
    ),
    Scenario("reuse_shared_problems", "sharedProblems(first: 20)"),
    Scenario(
        "export_csv_municipality",
        "GET /export/processes.csv?municipality= (one municipality)",
        export=lambda t: {"municipality": t.municipality},
    ),
    Scenario(
        "export_csv_all",
        "GET /export/processes.csv (every readable process)",
        export=lambda _: {},
    ),
)

_LINEAGE_ROOT = """
WITH RECURSIVE public_link AS (
    SELECT l.origin_id, l.derived_id FROM reuse_link l
    JOIN process o ON o.id = l.origin_id JOIN process d ON d.id = l.derived_id
    WHERE o.visibility = 'PUBLIC' AND d.visibility = 'PUBLIC'
), walk(root, id, depth) AS (
    SELECT origin_id, derived_id, 1 FROM public_link
  UNION
    SELECT w.root, l.derived_id, w.depth + 1 FROM walk w JOIN public_link l ON l.origin_id = w.id
    WHERE w.depth < 20
)
SELECT root FROM walk GROUP BY root ORDER BY count(DISTINCT id) DESC, root LIMIT 1
"""

_SIMILAR = """
SELECT id FROM process
WHERE municipality_code = $1 AND visibility = 'PUBLIC' AND title = ANY($2::text[])
ORDER BY title, id LIMIT 1
"""

# The demo's real municipalities (Randers, Skanderborg, Syddjurs; Trondheim's 2019-2022
# benefits, as GraphiQL example 21); the synthetic set's first ones and its 24 months.
_DEMO = ("DK-0730", ("DK-0746", "DK-0706", "DK-0730"), ("NO-5001", "2019-01", "2022-12"))
_SYNTHETIC = ("DK-0900", ("DK-0900", "DK-0901", "NO-9900"), ("DK-0900", "2024-11", "2026-10"))
_CERTIFICATE_TITLES = [
    "Godkendelse af fakturaer på lægeerklæringer",
    "Godkendelse af fakturaer på lægeerklæringer - Syd",
    "Godkendelse af fakturaer på lægeerklæringer - Nord",
]


async def find_targets(database_url: str, *, demo: bool) -> Targets:
    """The scenarios' subjects in this data set (read as the owner, without RLS)."""
    municipality, neighbours, benefits = _DEMO if demo else _SYNTHETIC
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
    try:
        root = await conn.fetchval(_LINEAGE_ROOT)
        if demo:
            process = await conn.fetchval(
                "SELECT id FROM process WHERE municipality_code = 'DK-0746'"
                " AND title ILIKE '%lægeerklæringer%' ORDER BY id LIMIT 1"
            )
        else:
            process = await conn.fetchval(_SIMILAR, municipality, _CERTIFICATE_TITLES)
    finally:
        await conn.close()
    if root is None or process is None:
        raise SystemExit("the data set has no reuse links or no certificate process")
    return Targets(municipality, neighbours, f"Process:{process}", f"Process:{root}", benefits)
