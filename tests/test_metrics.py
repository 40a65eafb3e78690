"""``GET /metrics`` from a real server: a scrape after a few queries shows what happened."""

import re

import httpx
from prometheus_client.parser import text_string_to_metric_families

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import serving
from tests.support.postgres import url_of
from tests.support.tenants import A

QUERY = "query CountMetrics { processes(first: 3) { totalCount } }"


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


async def test_a_scrape_counts_requests_errors_and_pool_after_queries(empty_db: Database) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)])
    app = create_app(Settings(), url_of(empty_db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        before = samples((await http.get("/metrics")).text)
        for _ in range(3):
            assert (await http.post("/graphql", json={"query": QUERY})).status_code == 200
        bad = await http.post("/graphql", json={"query": "{ nosuchfield }"})
        assert bad.status_code in (200, 400)
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    after = samples(scrape.text)

    def total(name: str, **labels: str) -> float:
        return sum(
            v
            for got, v in after.get(name, [])
            if all(got.get(k) == want for k, want in labels.items())
        ) - sum(
            v
            for got, v in before.get(name, [])
            if all(got.get(k) == want for k, want in labels.items())
        )

    assert total("reusegraph_graphql_requests_total", operation="CountMetrics") == 3
    assert total("reusegraph_graphql_request_duration_seconds_count") >= 4
    assert total("reusegraph_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") >= 1
    assert "reusegraph_db_pool_connections" in after
    assert any(re.match(r"process_|python_gc_", name) for name in after)


async def test_metrics_behind_a_bearer_token_refuse_a_scrape_without_it(
    empty_db: Database,
) -> None:
    app = create_app(Settings(metrics_token="scrape-secret-1"), url_of(empty_db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        refused = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        allowed = await http.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})
    assert refused.status_code == 401
    assert "scrape-secret-1" not in refused.text
    assert wrong.status_code == 401
    assert allowed.status_code == 200
    assert "reusegraph_graphql_requests" in allowed.text


async def test_refusals_are_counted_by_the_limit_that_refused_them(empty_db: Database) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)])
    app = create_app(Settings(max_depth=3, max_cost=400, rate_limit=300), url_of(empty_db))
    deep = "{ processes { nodes { municipality { reuseGiven { processes } } } } }"
    costly = "{ processes(first: 500) { nodes { title } } }"
    small = "{ processes(first: 50) { totalCount nodes { title } } }"
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        before = samples((await http.get("/metrics")).text)
        codes = []
        for query in (deep, costly):
            body = (await http.post("/graphql", json={"query": query})).json()
            codes.append(body["errors"][0]["extensions"]["code"])
        for _ in range(20):  # each costs about 51 of the 300 points
            if (await http.post("/graphql", json={"query": small})).status_code == 429:
                codes.append("RATE_LIMITED")
                break
        after = samples((await http.get("/metrics")).text)
    assert codes == ["QUERY_TOO_DEEP", "QUERY_TOO_COMPLEX", "RATE_LIMITED"]

    def refusals(scrape: dict[str, list[tuple[dict[str, str], float]]]) -> dict[str, float]:
        found = scrape.get("reusegraph_graphql_refusals_total", [])
        return {labels["limit"]: value for labels, value in found}

    counted = {
        limit: value - refusals(before).get(limit, 0) for limit, value in refusals(after).items()
    }
    assert {limit: n for limit, n in counted.items() if n} == {"depth": 1, "cost": 1, "rate": 1}
