"""The cost limit, the per-caller budget and the request deadline, through HTTP."""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.callers import client_address, parse_proxies
from reusegraph.store.engine import Database
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.tenants import A, B, issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

ALL_DIMENSIONS = "[MUNICIPALITY, COUNTRY, DOMAIN, TECHNOLOGY, VENDOR, YEAR, MONTH, KIND, PROCESS]"
NINE = (
    f"benefitSummary(groupBy: {ALL_DIMENSIONS}) {{ hoursSaved cases key {{ municipalityCode }} }}"
)
REFUSED = {
    "500 x 500 nested lists": (
        "{ vendors(first: 500) { nodes { processesDelivered(first: 500) { nodes { title } } } } }"
    ),
    "benefitSummary by all 9 dimensions": f"{{ {NINE} }}",
    "the same under 30 aliases": "{ " + " ".join(f"a{i}: {NINE}" for i in range(30)) + " }",
}
CHEAP = "{ processes(first: 10) { nodes { title } } }"  # 11 points


@asynccontextmanager
async def app_client(
    db: Database, statements: list[str] | None = None, /, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    # The executor's accounting (``actual``, the order of statements); the compiled path
    # spends the same budget through the same ``admit`` (test_compiled_reads).
    app = create_app(
        Settings(**{"compiled_reads": False, "webhook_worker": False, **settings}), url_of(db)
    )
    if statements is not None:

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
            statements.append(("autocommit " if autocommit else "") + statement)

        for engine in (app.state.db.engine, app.state.db.request_engine):
            event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=120) as http:
        yield http


async def ask(
    http: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers=headers or {})


async def test_costly_operations_are_refused_before_any_sql(empty_db: Database) -> None:
    statements: list[str] = []
    async with app_client(empty_db, statements) as http:
        for label, query in REFUSED.items():
            statements.clear()
            response = await ask(http, query)
            assert response.status_code == 200, label
            body = response.json()
            assert "data" not in body, "refused before execution: no data"
            [error] = body["errors"]
            extensions = error["extensions"]
            assert extensions["code"] == "QUERY_TOO_COMPLEX", label
            assert extensions["maximumCost"] == 50000
            assert extensions["cost"] > 50000, label
            assert str(extensions["cost"]) in error["message"]
            assert extensions["costliest"][0]["cost"] <= extensions["cost"]
            assert statements == [], f"{label}: SQL ran before the refusal"
        spec = await http.post(
            "/graphql",
            json={"query": REFUSED["500 x 500 nested lists"]},
            headers={"Accept": "application/graphql-response+json"},
        )
        assert spec.status_code == 400
        assert spec.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_the_maximum_is_a_setting(empty_db: Database) -> None:
    async with app_client(empty_db, max_cost=10) as http:
        body = (await ask(http, CHEAP)).json()
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert body["errors"][0]["extensions"]["cost"] == 11
    async with app_client(empty_db, max_cost=0) as http:
        body = (await ask(http, REFUSED["500 x 500 nested lists"])).json()
        assert "errors" not in body
        assert body["extensions"]["cost"]["requested"] > 50000


async def test_admitted_answers_say_what_they_cost_and_what_is_left(empty_db: Database) -> None:
    async with app_client(empty_db, rate_limit=1000, rate_limit_window_seconds=3600) as http:
        first = (await ask(http, CHEAP)).json()["extensions"]["cost"]
        assert first == {
            "requested": 11,
            "actual": 1,  # the connection; there are no processes
            "maximum": 50000,
            "budgetLeft": 989,
            "budget": 1000,
            "window": 3600,
        }
        second = (await ask(http, "{ __typename }")).json()["extensions"]["cost"]
        assert second["requested"] == 0
        assert second["budgetLeft"] == 988, "every request costs at least a point"


async def test_a_spent_budget_is_refused_with_429_and_retry_after(empty_db: Database) -> None:
    statements: list[str] = []
    async with app_client(
        empty_db, statements, rate_limit=25, rate_limit_window_seconds=60
    ) as http:
        assert (await ask(http, CHEAP)).status_code == 200
        assert (await ask(http, CHEAP)).status_code == 200
        statements.clear()
        refused = await ask(http, CHEAP)
        assert refused.status_code == 429
        # 3 points left, 11 needed, refilling at 25 a minute: 8 / (25/60) s = 19.2 s.
        assert refused.headers["Retry-After"] == "20"
        body = refused.json()
        assert "data" not in body, "refused before execution: no data"
        [error] = body["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] == 20
        assert error["extensions"]["budgetLeft"] == 3
        assert "Retry after 20 s" in error["message"]
        # One statement, in autocommit (no read transaction of its own), and nothing else.
        assert len(statements) == 1, statements
        assert statements[0].startswith("autocommit ")
        assert "rate_budget" in statements[0]
        # A request that costs less still fits.
        assert (await ask(http, "{ __typename }")).status_code == 200


async def test_each_request_spends_its_budget_in_one_statement_outside_the_read(
    empty_db: Database,
) -> None:
    statements: list[str] = []
    async with app_client(empty_db, statements) as http:
        statements.clear()
        assert (await ask(http, CHEAP)).status_code == 200
    budget = [s for s in statements if "rate_budget" in s]
    assert len(budget) == 1
    assert budget[0].startswith("autocommit ")
    read_settings = next(i for i, s in enumerate(statements) if "transaction_read_only" in s)
    assert statements.index(budget[0]) < read_settings, "charged before the read began"
    async with empty_db.engine.connect() as conn:
        callers = (await conn.execute(text("SELECT caller FROM rate_budget"))).scalars().all()
    assert len(callers) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", callers[0]), "a hash, no address"


async def test_two_instances_on_one_database_share_the_budget(empty_db: Database) -> None:
    """Replicas spend one caller's budget together: it lives in PostgreSQL."""
    settings: dict[str, Any] = {"rate_limit": 50, "rate_limit_window_seconds": 3600}
    async with (
        app_client(empty_db, **settings) as one,
        app_client(empty_db, **settings) as two,
    ):
        answers = []
        for http in (one, two, one, two, one, two):
            answers.append((await ask(http, CHEAP)).status_code)
        # 50 points at 11 a request: four requests, whichever instance answers them.
        assert answers == [200, 200, 200, 200, 429, 429]
        left = [(await ask(http, "{ __typename }")).json() for http in (one, two)]
        assert [b["extensions"]["cost"]["budgetLeft"] for b in left] == [5, 4]


async def test_concurrent_requests_cannot_overspend(empty_db: Database) -> None:
    settings: dict[str, Any] = {"rate_limit": 110, "rate_limit_window_seconds": 3600}
    async with app_client(empty_db, **settings) as one, app_client(empty_db, **settings) as two:
        answers = await asyncio.gather(*(ask(http, CHEAP) for http in [one, two] * 15))
    assert sorted(a.status_code for a in answers) == [200] * 10 + [429] * 20


async def test_callers_are_told_apart_by_token_subject(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with app_client(
        empty_db,
        rate_limit=30,
        rate_limit_window_seconds=3600,
        issuers=issuer_entry(local_issuer),
    ) as http:
        kari = {
            "Authorization": f"Bearer {local_issuer.token('kari', municipality=A, roles=['reader'])}"
        }
        ola = {
            "Authorization": f"Bearer {local_issuer.token('ola', municipality=B, roles=['reader'])}"
        }
        for headers in (kari, kari):
            assert (await ask(http, CHEAP, headers)).status_code == 200
        assert (await ask(http, CHEAP, kari)).status_code == 429
        assert (await ask(http, CHEAP, ola)).status_code == 200, "another subject, own budget"
        assert (await ask(http, CHEAP)).status_code == 200, "anonymous: the address's budget"
        again = {
            "Authorization": f"Bearer {local_issuer.token('kari', municipality=A, roles=['reader'])}"
        }
        assert (await ask(http, CHEAP, again)).status_code == 429, "a new token, same caller"


async def test_forwarded_for_counts_only_from_trusted_proxies(empty_db: Database) -> None:
    one = {"X-Forwarded-For": "192.0.2.1"}
    other = {"X-Forwarded-For": "198.51.100.7"}
    limited: dict[str, Any] = {"rate_limit": 20, "rate_limit_window_seconds": 3600}
    async with app_client(empty_db, **limited) as http:
        assert (await ask(http, CHEAP, one)).status_code == 200
        assert (await ask(http, CHEAP, other)).status_code == 429, "the header is not believed"
    async with app_client(empty_db, trusted_proxies="127.0.0.1", **limited) as http:
        assert (await ask(http, CHEAP, {"X-Forwarded-For": "192.0.2.50"})).status_code == 200
        assert (await ask(http, CHEAP, {"X-Forwarded-For": "203.0.113.9"})).status_code == 200
        spoofed = {"X-Forwarded-For": "203.0.113.66, 192.0.2.50"}
        assert (await ask(http, CHEAP, spoofed)).status_code == 429, "the proxy's entry counts"


def test_client_address_walks_forwarded_for_from_the_right() -> None:
    proxies = parse_proxies("10.0.0.0/8, 2001:db8::1")
    assert client_address("192.0.2.1", "198.51.100.1", proxies) == "192.0.2.1"
    assert client_address("10.1.2.3", "198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("10.1.2.3", "203.0.113.5, 198.51.100.1, 10.9.9.9", proxies) == (
        "198.51.100.1"
    )
    assert client_address("2001:db8::1", "", proxies) == "2001:db8::1"
    assert client_address("10.1.2.3", "not-an-ip, 10.2.2.2", proxies) == "not-an-ip"
    assert client_address("192.0.2.1", "198.51.100.1", ()) == "192.0.2.1"
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        parse_proxies("10.0.0.0/8, proxy.example")


async def test_a_request_past_its_deadline_is_stopped_and_the_server_goes_on(
    empty_db: Database,
) -> None:
    async with app_client(empty_db, request_timeout_ms=300, rate_limit=0) as http:
        async with empty_db.engine.connect() as blocker:
            await blocker.execute(text("LOCK TABLE municipality IN ACCESS EXCLUSIVE MODE"))
            stuck = await ask(http, "{ municipalities { totalCount } }")
            assert (await http.get("/healthz")).status_code == 200
            await blocker.rollback()
        assert stuck.status_code == 503
        error = stuck.json()["errors"][0]
        assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
        assert stuck.headers["X-Request-ID"] == error["extensions"]["requestId"]
        after = (await ask(http, "{ municipalities { totalCount } }")).json()
        assert after["data"] == {"municipalities": {"totalCount": 0}}


HEAVIEST = (
    "{ "
    + " ".join(
        f"a{i}: processes(first: 500) {{ nodes {{ id title summary description phase status"
        " visibility domains kle form kla kCodes createdAt updatedAt municipality { name } } }"
        for i in range(30)
    )
    + " }"
)


async def test_healthz_is_answered_while_the_heaviest_admitted_request_runs(
    demo_db: Database,
) -> None:
    """The server keeps its turns: /healthz answers between the heavy request's steps."""
    async with app_client(demo_db) as http:
        answered: list[float] = []
        running = True

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            while running:
                started = loop.time()
                assert (await http.get("/healthz")).status_code == 200
                answered.append(loop.time() - started)

        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.05)
        before = len(answered)
        heavy = await ask(http, HEAVIEST)
        during = len(answered) - before
        running = False
        await prober
    body = heavy.json()
    assert "errors" not in body
    cost = body["extensions"]["cost"]
    assert 30000 < cost["requested"] <= 50000, "admitted, and near the maximum"
    assert cost["actual"] > 30000, "30 x 500 processes with their municipality"
    assert during >= 5, f"/healthz answered only {during} times while the heavy request ran"
    assert max(answered) < 1.0, f"/healthz waited {max(answered):.2f} s"
