"""A second reusegraph on loopback as a remote source, and record-by-record comparison.

The remote is the real app over its own database, speaking the source contract; the
gateway mirrors municipality A from it with a member token of A (so it gets A's
PUBLIC and MUNICIPALITY processes, not PERSONAL ones).
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.principal import Principal, Role
from reusegraph.federation.backoff import Backoff
from reusegraph.federation.sync import RunResult, SyncEngine, SyncOptions
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.mirror_records import WRITABLE
from reusegraph.store.source_writes import SourceSpec, register_source
from tests.support import builders as b
from tests.support.faulty_remote import FaultyRemote
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import cloned_database, url_of
from tests.support.tenants import A, B, issuer_entry

ADMIN = Call(Principal(issuer="tests", subject="admin", roles=frozenset({Role.ADMIN})))
CATALOG = {
    "it_system": [{"code": "sofie", "name": "SOFIE"}, {"code": "esdh", "name": "ESDH"}],
    "technology": [{"code": "rpa", "name": "RPA"}],
}
# Compared as they are; created/updated times too: a mirror keeps the source's.
FAST_SYNC = SyncOptions(backoff=Backoff(attempts=2, base=0.01, cap=0.05))
"""Retries after milliseconds, so a failing remote fails a test at once."""
COMPARED = tuple(n for n in WRITABLE if n not in ("vendor_id", "agreement_id"))


@dataclass
class RemoteRegistry:
    db: Database
    base_url: str
    issuer: LocalIssuer

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/graphql"

    def token(self) -> str:
        return self.issuer.token("sync-bot", municipality=A, roles=["member"])

    async def add(self, *rows: dict[str, Any], **children: list[dict[str, Any]]) -> None:
        await b.insert_rows(self.db, process=list(rows), **children)

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.db.session(None) as session:
            await session.execute(text(sql), params)


@asynccontextmanager
async def remote_registry(
    server: URL, template: str, issuer: LocalIssuer
) -> AsyncIterator[RemoteRegistry]:
    async with cloned_database(server, template) as db:
        await b.insert_rows(db, municipality=[b.municipality(A), b.municipality(B)], **CATALOG)
        app = create_app(Settings(issuers=issuer_entry(issuer)), url_of(db))
        async with serving(app) as base:
            yield RemoteRegistry(db, base, issuer)


@dataclass
class ProxiedRemote:
    """A remote behind a proxy that can misbehave, registered as ``remote-a``."""

    remote: RemoteRegistry
    proxy: FaultyRemote
    endpoint: str


@asynccontextmanager
async def proxied_remote(
    server: URL,
    template: str,
    issuer: LocalIssuer,
    gateway: Database,
    monkeypatch: pytest.MonkeyPatch,
    **options: Any,
) -> AsyncIterator[ProxiedRemote]:
    """A remote registry, a ``FaultyRemote`` in front of it, and a gateway that mirrors A
    from the proxy with a bearer token read from ``REMOTE_A_TOKEN``."""
    async with remote_registry(server, template, issuer) as remote:
        proxy = FaultyRemote(remote.endpoint)
        async with serving(proxy) as base:  # type: ignore[arg-type]
            endpoint = f"{base}/graphql"
            await mirror_remote(gateway, remote, monkeypatch, endpoint=endpoint, **options)
            yield ProxiedRemote(remote, proxy, endpoint)


async def mirror_remote(
    gateway: Database,
    remote: RemoteRegistry,
    monkeypatch: pytest.MonkeyPatch,
    *,
    endpoint: str | None = None,
    **options: Any,
) -> None:
    """Make ``gateway`` mirror A from ``remote`` (or from ``endpoint`` in front of it) as
    ``remote-a``, with a bearer token read from ``REMOTE_A_TOKEN``."""
    await prepare_gateway(gateway)
    monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
    await register(
        gateway,
        "remote-a",
        endpoint or remote.endpoint,
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        **options,
    )


async def sync_once(
    db: Database, code: str = "remote-a", options: SyncOptions = FAST_SYNC
) -> RunResult:
    """One run of a source by an engine of its own, closed after."""
    engine = SyncEngine(db, options=options)
    try:
        return await engine.sync(code)
    finally:
        await engine.aclose()


async def prepare_gateway(db: Database) -> None:
    await b.insert_rows(db, municipality=[b.municipality(A), b.municipality(B)], **CATALOG)


async def register(
    db: Database, code: str, endpoint: str, *, owners: tuple[str, ...] = (A,), **options: Any
) -> None:
    spec = SourceSpec(
        code=code,
        name=f"Test source {code}",
        kind="graphql",
        owners=owners,
        endpoint=endpoint,
        **options,
    )
    async with db.session(None) as session:
        await register_source(session, ADMIN, spec)


async def source_row(db: Database, code: str) -> dict[str, Any]:
    async with db.session(None) as session:
        row = await session.execute(text("SELECT * FROM source WHERE code = :c"), {"c": code})
        return dict(row.mappings().one())


async def mirrored(db: Database, code: str) -> dict[str, dict[str, Any]]:
    """The gateway's copies of a source's records, by source id, with their children."""
    return await _state(db, "p.source_code = :key", code, "source_id")


async def published(remote: RemoteRegistry) -> dict[str, dict[str, Any]]:
    """What the remote holds for the gateway: A's processes that are not PERSONAL."""
    return await _state(
        remote.db, "p.municipality_code = :key AND p.visibility <> 'PERSONAL'", A, "id"
    )


async def _state(db: Database, where: str, key: str, id_column: str) -> dict[str, dict[str, Any]]:
    columns = ", ".join(f"p.{c}" for c in COMPARED)
    async with db.session(None) as session:
        run = session.execute
        rows = (
            (
                await run(
                    text(f"SELECT p.id, p.source_id, {columns} FROM process p WHERE {where}"),
                    {"key": key},
                )
            )
            .mappings()
            .all()
        )
        ids = [r["id"] for r in rows]
        names = {r["id"]: str(r[id_column]) for r in rows}

        async def grouped(sql: str) -> dict[uuid.UUID, list[tuple[Any, ...]]]:
            found: dict[uuid.UUID, list[tuple[Any, ...]]] = {i: [] for i in ids}
            for row in (await run(text(sql), {"ids": ids})).all():
                found[row[0]].append(tuple(_plain(v) for v in row[1:]))
            return {k: sorted(v, key=repr) for k, v in found.items()}

        systems = await grouped(
            "SELECT process_id, it_system_code FROM process_it_system WHERE process_id = ANY(:ids)"
        )
        techs = await grouped(
            "SELECT process_id, technology_code FROM process_technology"
            " WHERE process_id = ANY(:ids)"
        )
        benefits = await grouped(
            "SELECT process_id, period, kind, cases, hours_saved, money_amount, currency, note"
            " FROM benefit_record WHERE process_id = ANY(:ids)"
        )
        links = await grouped(
            "SELECT process_id, url, label, internal FROM process_link WHERE process_id = ANY(:ids)"
        )
        origin = "o.source_id" if id_column == "source_id" else "o.id::text"
        reuse = await grouped(
            f"SELECT r.derived_id, {origin}, r.kind, r.note, r.reused_on FROM reuse_link r"
            " JOIN process o ON o.id = r.origin_id WHERE r.derived_id = ANY(:ids)"
        )
    return {
        names[r["id"]]: {
            **{c: _plain(r[c]) for c in COMPARED},
            "it_systems": systems[r["id"]],
            "technologies": techs[r["id"]],
            "benefits": benefits[r["id"]],
            "links": links[r["id"]],
            "reused_from": reuse[r["id"]],
        }
        for r in rows
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
