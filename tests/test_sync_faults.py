"""A remote source that misbehaves: the gateway keeps serving, shows the failure, loses
nothing, and the next good sync converges on the remote's data record by record."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.auth.principal import Principal, Role
from reusegraph.federation.sync import RunResult
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.faulty_remote import FaultyRemote
from tests.support.http import GraphQLClient, free_port
from tests.support.issuer import LocalIssuer
from tests.support.remotes import (
    RemoteRegistry,
    mirrored,
    proxied_remote,
    published,
    register,
    source_row,
    sync_once,
)
from tests.support.tenants import A
from tests.support.viewers import run_as

pytest_plugins = ("tests.support.identity_fixtures",)

SOURCES = "{ sources { code lastOutcome lastError stale } }"
ADMIN = Principal(issuer="test", subject="ops", roles=frozenset({Role.ADMIN}))
TITLES = "{ processes(first: 500) { nodes { title } } }"


@dataclass
class Setup:
    db: Database
    api: GraphQLClient
    remote: RemoteRegistry
    proxy: FaultyRemote
    endpoint: str

    async def sync(self) -> RunResult:
        return await sync_once(self.db)

    async def converged(self) -> dict[str, dict[str, Any]]:
        self.proxy.mode, self.proxy.rewrite, self.proxy.delay = "pass", None, 0.0
        run = await self.sync()
        assert run.outcome == "ok", run.error
        mirror = await mirrored(self.db, "remote-a")
        assert mirror == await published(self.remote)
        return mirror


@pytest.fixture
async def setup(
    pg_server: URL,
    migrated_template: str,
    local_issuer: LocalIssuer,
    empty_db: Database,
    api: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Setup]:
    async with proxied_remote(
        pg_server,
        migrated_template,
        local_issuer,
        empty_db,
        monkeypatch,
        page_size=2,
        timeout_seconds=1,
    ) as proxied:
        remote = proxied.remote
        rows = [b.process(A, title=f"Proces {n}", minutes_per_run=n + 0.5) for n in range(5)]
        await remote.add(
            *rows,
            process_it_system=[{"process_id": rows[0]["id"], "it_system_code": "sofie"}],
            benefit_record=[b.benefit(rows[0]["id"], date(2026, 1, 1), 12.5)],
            reuse_link=[b.reuse(rows[1]["id"], rows[0]["id"])],
        )
        yield Setup(empty_db, api, remote, proxied.proxy, proxied.endpoint)


async def change_the_remote(remote: RemoteRegistry) -> None:
    """An update, a deletion and a new record: three entries, two pages of two."""
    async with remote.db.session(None) as session:
        ids = (await session.execute(text("SELECT id FROM process ORDER BY title"))).scalars().all()
    await remote.execute(
        "UPDATE process SET title = 'Proces 0 (ny)', updated_at = now() WHERE id = :id", id=ids[0]
    )
    await remote.execute("DELETE FROM process WHERE id = :id", id=ids[4])
    await remote.add(b.process(A, title="Proces ny", updated_at=datetime.now(UTC)))


async def assert_serving_with_the_failure_shown(setup: Setup, expected: str) -> None:
    titles = await setup.api.data(TITLES)
    assert len(titles["processes"]["nodes"]) >= 4, "the gateway still answers from its copy"
    [public] = (await setup.api.data(SOURCES))["sources"]
    assert public["lastOutcome"] == "failed"
    assert public["stale"] is True
    assert public["lastError"] is None, "anonymous callers do not see internal messages"
    [source] = (await run_as(setup.db, SOURCES, viewer=ADMIN)).ok()["sources"]
    assert expected in source["lastError"]


def assert_intact(before: dict[str, Any], now: dict[str, Any], remote: dict[str, Any]) -> None:
    """Every record is still the last good copy or the remote's current one: never a mix."""
    for source_id, record in now.items():
        assert record in (before.get(source_id), remote.get(source_id)), source_id
    for source_id in before:
        assert source_id in now or source_id not in remote, f"{source_id} was lost"


FAULTS = [
    ("invalid_json", "did not answer with JSON"),
    ("graphql_errors", "replica lag"),
    ("wrong_schema", "does not serve the source contract"),
    ("unavailable", "answered 503"),
    ("die", "cannot reach"),
]


@pytest.mark.parametrize(("mode", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_a_fault_after_the_first_page_keeps_what_was_committed(
    setup: Setup, mode: str, expected: str
) -> None:
    before = await setup.converged()
    await change_the_remote(setup.remote)
    setup.proxy.mode, setup.proxy.fault_from_call = mode, setup.proxy.calls + 2

    run = await setup.sync()

    assert run.outcome == "failed"
    assert expected in (run.error or "")
    assert run.pages == 1, "the first page landed before the fault"
    await assert_serving_with_the_failure_shown(setup, expected)
    assert_intact(before, await mirrored(setup.db, "remote-a"), await published(setup.remote))
    calls = setup.proxy.calls
    await setup.converged()
    assert setup.proxy.sent[calls]["since"] is not None, "resumed from the committed cursor"


async def test_a_remote_that_is_down(setup: Setup) -> None:
    before = await setup.converged()
    await register(
        setup.db,
        "remote-a",
        f"http://127.0.0.1:{free_port()}/graphql",
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        page_size=2,
    )
    run = await setup.sync()
    assert run.outcome == "failed"
    await assert_serving_with_the_failure_shown(setup, "cannot reach")
    assert await mirrored(setup.db, "remote-a") == before
    await register(
        setup.db,
        "remote-a",
        setup.endpoint,
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        page_size=2,
    )
    await change_the_remote(setup.remote)
    await setup.converged()


async def test_a_remote_that_times_out(setup: Setup) -> None:
    before = await setup.converged()
    await change_the_remote(setup.remote)
    setup.proxy.delay, setup.proxy.fault_from_call = 2.0, setup.proxy.calls + 1
    run = await setup.sync()
    assert run.outcome == "failed"
    await assert_serving_with_the_failure_shown(setup, "did not answer within 1 s")
    assert await mirrored(setup.db, "remote-a") == before
    await setup.converged()


async def test_a_cursor_that_goes_backwards_stops_the_run_at_the_last_good_cursor(
    setup: Setup,
) -> None:
    before = await setup.converged()
    await change_the_remote(setup.remote)
    first_call = setup.proxy.calls + 1

    def backwards(answer: dict[str, Any], call: int) -> dict[str, Any]:
        answer["data"]["changes"]["cursor"] = setup.proxy.sent[first_call - 1]["since"]
        answer["data"]["changes"]["hasMore"] = True
        return answer

    setup.proxy.rewrite, setup.proxy.fault_from_call = backwards, first_call + 1
    good_cursor = None

    run = await setup.sync()

    assert run.outcome == "failed"
    assert "handed out cursor" in (run.error or "")
    good_cursor = (await source_row(setup.db, "remote-a"))["cursor"]
    assert good_cursor != setup.proxy.sent[first_call - 1]["since"]
    assert_intact(before, await mirrored(setup.db, "remote-a"), await published(setup.remote))
    await setup.converged()


async def test_duplicate_and_out_of_order_records_converge_on_the_newest(setup: Setup) -> None:
    await setup.converged()
    await change_the_remote(setup.remote)

    def shuffled(answer: dict[str, Any], call: int) -> dict[str, Any]:
        changes = answer["data"]["changes"]
        older = []
        for record in changes["upserts"]:
            copy = dict(record, title="an older copy")
            moment = datetime.fromisoformat(record["updatedAt"]) - timedelta(days=3)
            copy["updatedAt"] = moment.isoformat()
            older.append(copy)
        # The stale copies come first and last: order must not decide, updatedAt does.
        changes["upserts"] = older + list(reversed(changes["upserts"])) + older
        return answer

    setup.proxy.rewrite = shuffled
    run = await setup.sync()
    assert run.outcome == "ok", run.error
    assert await mirrored(setup.db, "remote-a") == await published(setup.remote)

    stale_copies: list[dict[str, Any]] = []

    def replay(answer: dict[str, Any], call: int) -> dict[str, Any]:
        answer["data"]["changes"]["upserts"].extend(stale_copies)
        return answer

    mirror = await mirrored(setup.db, "remote-a")
    newest = max(mirror.values(), key=lambda r: r["updated_at"])
    source_id = next(k for k, v in mirror.items() if v is newest)
    stale_copies.append(
        {
            "id": source_id,
            "municipality": A,
            "title": "a copy from last week",
            "phase": "OPERATION",
            "visibility": "PUBLIC",
            "updatedAt": (
                datetime.fromisoformat(newest["updated_at"]) - timedelta(days=7)
            ).isoformat(),
        }
    )
    await setup.remote.add(b.process(A, title="Trigger", updated_at=datetime.now(UTC)))
    setup.proxy.rewrite = replay
    run = await setup.sync()
    assert run.outcome == "ok"
    assert await mirrored(setup.db, "remote-a") == await published(setup.remote)


async def test_a_page_of_ten_thousand_records(setup: Setup) -> None:
    before = await setup.converged()
    now = datetime.now(UTC)
    big: list[dict[str, Any]] = [
        {
            "id": f"bulk-{n:05d}",
            "municipality": A,
            "title": f"Masseproces {n}",
            "phase": "OPERATION",
            "visibility": "PUBLIC",
            "minutesPerRun": n % 60 + 0.25,
            "updatedAt": now.isoformat(),
            "itSystems": [{"code": "sofie", "name": "SOFIE"}] if n % 2 else [],
            "benefits": [{"period": "2026-01", "kind": "MEASURED", "hoursSaved": n % 40}],
        }
        for n in range(10_000)
    ]

    def oversized(answer: dict[str, Any], call: int) -> dict[str, Any]:
        answer["data"]["changes"]["upserts"] = big
        answer["data"]["changes"]["hasMore"] = False
        return answer

    await setup.remote.add(b.process(A, title="Trigger", updated_at=now))
    setup.proxy.rewrite = oversized
    run = await setup.sync()
    assert run.outcome == "ok", run.error
    assert run.upserted == 10_000

    mirror = await mirrored(setup.db, "remote-a")
    for record in big:
        copy = mirror[record["id"]]
        assert copy["title"] == record["title"]
        assert float(copy["minutes_per_run"]) == record["minutesPerRun"]
        assert copy["it_systems"] == ([("sofie",)] if record["itSystems"] else [])
        assert [float(b[3]) for b in copy["benefits"]] == [record["benefits"][0]["hoursSaved"]]
    assert all(mirror[k] == v for k, v in before.items())
    assert (await source_row(setup.db, "remote-a"))["record_count"] == 10_000 + len(before)


def test_a_page_refused_as_too_complex_is_asked_for_again_smaller() -> None:
    from reusegraph.federation.sources_graphql import _graphql_error

    refused = _graphql_error(
        "https://registry.example/graphql",
        [
            {
                "message": "This operation may cost 141501 points, more than the maximum",
                "extensions": {"code": "QUERY_TOO_COMPLEX", "cost": 141501, "maximumCost": 50000},
            }
        ],
    )
    assert refused.cost == (141501, 50000)
    smaller = refused.fitting_first(500)
    assert smaller is not None
    assert 150 < smaller < 177, "about 500 x 50000 / 141501, with room to spare"
    assert refused.fitting_first(1) is None
    other = _graphql_error("https://registry.example/graphql", [{"message": "Cannot query field"}])
    assert other.fitting_first(500) is None
    limited = _graphql_error(
        "https://registry.example/graphql",
        [{"message": "spent", "extensions": {"code": "RATE_LIMITED", "retryAfter": 3}}],
    )
    assert limited.retryable
