"""The Grafana dashboard and ``/metrics`` agree: a renamed metric breaks a panel silently,
so a scrape of a real server after a few queries must expose every name a panel queries,
and every ``reusegraph_*`` family it exposes must be on some panel."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import serving
from tests.support.postgres import url_of
from tests.support.tenants import A

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "reusegraph.json"
METRIC_NAME = re.compile(r"\breusegraph_[a-z0-9_]+")
SAMPLE_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def dashboard_exprs() -> list[str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def family_of(name: str) -> str:
    for suffix in SAMPLE_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


async def scraped_names(db: Database) -> tuple[set[str], set[str]]:
    """Sample names (what PromQL selects) and family names of one real scrape."""
    await b.insert_rows(db, municipality=[b.municipality(A)])
    app = create_app(Settings(), url_of(db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(2):
            ok = await http.post(
                "/graphql", json={"query": "{ processes(first: 1) { totalCount } }"}
            )
            assert ok.status_code == 200
        await http.post("/graphql", json={"query": "{ nosuchfield }"})
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200
    samples: set[str] = set()
    families: set[str] = set()
    for family in text_string_to_metric_families(scrape.text):
        families.add(family.name)
        samples.update(sample.name for sample in family.samples)
    return samples, families


async def test_every_metric_a_panel_queries_is_exposed_and_every_family_is_on_a_panel(
    empty_db: Database,
) -> None:
    samples, families = await scraped_names(empty_db)
    used = {name for expr in dashboard_exprs() for name in METRIC_NAME.findall(expr)}
    assert used, "the dashboard queries no reusegraph_* metric"

    unknown = {name for name in used if name not in samples and family_of(name) not in families}
    assert not unknown, f"panels query metrics /metrics does not expose: {sorted(unknown)}"

    ours = {family_of(name) for name in families if name.startswith("reusegraph_")}
    on_panels = {family_of(name) for name in used}
    missing = ours - on_panels
    assert not missing, f"exposed families on no panel: {sorted(missing)}"
    assert "reusegraph_source_lag_seconds" in ours


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert dashboard["uid"] == "reusegraph"
    assert len(ids) == len(set(ids))
    assert all(panel["targets"] and panel["title"] for panel in dashboard["panels"])
