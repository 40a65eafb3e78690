"""The engine's guarantees: one run per source across replicas, the circuit breaker, the
concurrency limit, schedules, OAuth2 client credentials, and surviving a restart."""

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import URL

from reusegraph.federation.backoff import Backoff, retrying
from reusegraph.federation.breaker import Breaker
from reusegraph.federation.errors import RemoteFormatError, RemoteTimeout
from reusegraph.federation.sync import RunResult, SyncEngine, SyncOptions
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.faulty_remote import FaultyRemote
from tests.support.issuer import LocalIssuer
from tests.support.remotes import (
    RemoteRegistry,
    mirrored,
    proxied_remote,
    published,
    register,
    source_row,
)
from tests.support.tenants import A, B

pytest_plugins = ("tests.support.identity_fixtures",)

FAST = SyncOptions(backoff=Backoff(attempts=2, base=0.01, cap=0.05))


@dataclass
class Setup:
    db: Database
    remote: RemoteRegistry
    proxy: FaultyRemote
    endpoint: str
    issuer: LocalIssuer


@pytest.fixture
async def setup(
    pg_server: URL,
    migrated_template: str,
    local_issuer: LocalIssuer,
    empty_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Setup]:
    async with proxied_remote(
        pg_server, migrated_template, local_issuer, empty_db, monkeypatch, page_size=2
    ) as proxied:
        await proxied.remote.add(*(b.process(A, title=f"Proces {n}") for n in range(5)))
        yield Setup(empty_db, proxied.remote, proxied.proxy, proxied.endpoint, local_issuer)


async def run(db: Database, code: str = "remote-a", **kwargs: object) -> RunResult:
    options = kwargs.pop("options", FAST)
    engine = SyncEngine(db, options=options)  # type: ignore[arg-type]
    try:
        return await engine.sync(code, **kwargs)  # type: ignore[arg-type]
    finally:
        await engine.aclose()


async def test_two_replicas_never_sync_one_source_at_once(setup: Setup) -> None:
    setup.proxy.delay = 0.3
    replica = Database(setup.db.url.render_as_string(hide_password=False), pool_size=2)
    try:
        results = await asyncio.gather(run(setup.db), run(replica))
    finally:
        await replica.dispose()
    assert sorted(r.outcome for r in results) == ["busy", "ok"]
    assert await mirrored(setup.db, "remote-a") == await published(setup.remote)


async def test_the_circuit_opens_after_repeated_failures_and_an_operator_can_force(
    setup: Setup,
) -> None:
    breaker = Breaker(threshold=2, open_for=timedelta(hours=1))
    options = SyncOptions(backoff=FAST.backoff, breaker=breaker)
    setup.proxy.mode = "unavailable"
    assert (await run(setup.db, options=options)).outcome == "failed"
    assert (await source_row(setup.db, "remote-a"))["circuit_open_until"] is None
    assert (await run(setup.db, options=options)).outcome == "failed"
    state = await source_row(setup.db, "remote-a")
    assert state["consecutive_failures"] == 2
    assert state["circuit_open_until"] > datetime.now(UTC) + timedelta(minutes=59)

    calls = setup.proxy.calls
    skipped = await run(setup.db, options=options)
    assert skipped.outcome == "circuit-open"
    assert setup.proxy.calls == calls, "an open circuit leaves the remote alone"

    setup.proxy.mode = "pass"
    forced = await run(setup.db, options=options, force=True)
    assert forced.outcome == "ok"
    state = await source_row(setup.db, "remote-a")
    assert (state["consecutive_failures"], state["circuit_open_until"]) == (0, None)


async def test_the_concurrency_limit_holds_across_sources(setup: Setup) -> None:
    await register(
        setup.db,
        "remote-b",
        setup.endpoint,
        owners=(B,),
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
    )
    setup.proxy.delay = 0.2
    for limit in (1, 2):
        setup.proxy.peak = 0
        engine = SyncEngine(setup.db, options=SyncOptions(backoff=FAST.backoff, concurrency=limit))
        try:
            results = await engine.sync_many(["remote-a", "remote-b"], force=True)
        finally:
            await engine.aclose()
        assert [r.outcome for r in results] == ["ok", "ok"]
        assert setup.proxy.peak == limit


async def test_a_schedule_decides_which_sources_are_due(setup: Setup) -> None:
    await register(
        setup.db,
        "remote-a",
        setup.endpoint,
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        schedule="every 10m",
    )
    engine = SyncEngine(setup.db, options=FAST)
    try:
        assert [r.source for r in await engine.sync_due()] == ["remote-a"]
        assert await engine.sync_due() == []
        later = datetime.now(UTC) + timedelta(minutes=11)
        assert [r.outcome for r in await engine.sync_due(now=later)] == ["ok"]
    finally:
        await engine.aclose()


async def test_oauth2_client_credentials_fetch_a_token_once_per_run(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_url = setup.issuer.publish(
        "/token",
        {"access_token": setup.remote.token(), "token_type": "Bearer", "expires_in": 300},
    )
    monkeypatch.setenv("GATEWAY_CLIENT_SECRET", "s3cret-value")
    await register(
        setup.db,
        "remote-a",
        setup.endpoint,
        auth="oauth2",
        secret_ref="env:GATEWAY_CLIENT_SECRET",
        token_url=token_url,
        client_id="gateway",
        page_size=2,
    )
    result = await run(setup.db)
    assert result.outcome == "ok", result.error
    assert result.pages == 3
    assert setup.issuer.fetch_count(token_url) == 1
    assert await mirrored(setup.db, "remote-a") == await published(setup.remote)

    monkeypatch.delenv("GATEWAY_CLIENT_SECRET")
    missing = await run(setup.db)
    assert missing.outcome == "failed"
    assert "GATEWAY_CLIENT_SECRET" in (missing.error or "")
    assert "s3cret" not in (missing.error or "")


async def test_a_gateway_restarted_mid_sync_resumes_from_the_committed_cursor(
    setup: Setup,
) -> None:
    first = setup.proxy.calls + 1
    setup.proxy.delay, setup.proxy.fault_from_call = 30.0, first + 1
    engine = SyncEngine(setup.db, options=FAST)
    task = asyncio.create_task(engine.sync("remote-a"))
    await asyncio.wait_for(setup.proxy.delaying.wait(), timeout=30)
    task.cancel()  # the process dies while the second page is on its way
    with pytest.raises(asyncio.CancelledError):
        await task
    await engine.aclose()
    setup.proxy.wake.set()

    state = await source_row(setup.db, "remote-a")
    assert state["cursor"] is not None
    assert len(await mirrored(setup.db, "remote-a")) == 2, "the first page was committed"

    setup.proxy.delay = 0.0
    resumed = await run(setup.db)
    assert resumed.outcome == "ok"
    assert setup.proxy.sent[first + 1]["since"] == state["cursor"]
    assert await mirrored(setup.db, "remote-a") == await published(setup.remote)


async def test_backoff_waits_grow_to_a_cap_and_only_retryable_errors_are_retried() -> None:
    backoff = Backoff(attempts=5, base=0.5, cap=2.0)
    rng = random.Random(7)
    assert all(0 <= backoff.delay(n, rng) <= min(2.0, 0.5 * 2 ** (n - 1)) for n in range(1, 9))
    tries: list[int] = []

    async def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise RemoteTimeout("slow")
        return "done"

    assert await retrying(flaky, Backoff(attempts=3, base=0.001)) == "done"
    assert len(tries) == 3

    async def broken() -> str:
        tries.append(1)
        raise RemoteFormatError("not the contract")

    tries.clear()
    with pytest.raises(RemoteFormatError):
        await retrying(broken, Backoff(attempts=3, base=0.001))
    assert len(tries) == 1
