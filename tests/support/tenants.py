"""Two municipalities, each with processes of every visibility, and a client per role.

Trondheim (NO-5001) and Oslo (NO-0301) share one LocalIssuer (as a national broker
would): the issuer may speak for both, and each token names one of them.
"""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select, text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from reusegraph.store.models import AuditEntry
from tests.support import builders as b
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of

A, B = "NO-5001", "NO-0301"


@dataclass
class Tenants:
    db: Database
    issuer: LocalIssuer
    http: httpx.AsyncClient
    processes: dict[tuple[str, str], uuid.UUID]
    """(municipality, visibility) -> process id; PERSONAL ones are reported by 'alice-<code>'."""
    app: Any = None
    """The app under test (its ``state``: the change hub, the delivery worker)."""

    def token(self, municipality: str | None, *roles: str, sub: str | None = None) -> str:
        subject = sub or f"alice-{municipality}"
        return self.issuer.token(subject, municipality=municipality, roles=list(roles))

    async def call(
        self, token: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def scalar(self, sql: str, **params: Any) -> Any:
        """Read the database as its owner, past row-level security, to see what was written."""
        async with self.db.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def audit_count(self) -> int:
        async with self.db.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
            )


def issuer_entry(issuer: LocalIssuer, *, admin: bool = False) -> str:
    """``admin``: the broker may also grant the admin role (tokens ask for it in ``roles``)."""
    entry: dict[str, Any] = {
        "name": "broker",
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "municipalities": [A, B],
        "tenant_claim": "tid",
        "tenant": issuer.tenant,
    }
    if admin:
        entry["allowed_roles"] = ["reader", "member", "editor", "admin"]
    return json.dumps([entry])


@asynccontextmanager
async def tenants(
    db: Database, issuer: LocalIssuer, *, admin: bool = False, **settings: Any
) -> AsyncIterator[Tenants]:
    """``settings``: more of the app's ``Settings`` (e.g. ``trusted_documents``)."""
    processes: dict[tuple[str, str], uuid.UUID] = {}
    rows = []
    for code in (A, B):
        for visibility in ("PUBLIC", "MUNICIPALITY", "PERSONAL"):
            row = b.process(
                code,
                title=f"{visibility.title()} process of {code}",
                visibility=visibility,
                reporter=f"alice-{code}",
                internal_notes=f"internal note of {code}",
                esdh_reference=f"ESDH-{code}",
            )
            processes[(code, visibility)] = row["id"]
            rows.append(row)
    await b.insert_rows(
        db,
        municipality=[b.municipality(A), b.municipality(B)],
        it_system=[{"code": "sofie", "name": "SOFIE"}],
        process=rows,
    )
    config = Settings(issuers=issuer_entry(issuer, admin=admin), **settings)
    app = create_app(config, url_of(db))
    async with (
        serving(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        yield Tenants(db, issuer, http, processes, app)
