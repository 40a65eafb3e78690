"""The public tools, in CI: graphql-http's server audit of the GraphQL-over-HTTP spec.

``node audit.mjs`` (tests/node) runs ``auditServer`` of the npm package ``graphql-http``
against the whole app served on loopback: no MUST may fail and no SHOULD may warn. (MAY
items are the server's choice: batching, form-encoded POSTs and the like are listed.)
"""

import asyncio
import json
from typing import Any

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support.http import serving
from tests.support.node import NODE, PEERS
from tests.support.postgres import url_of

AUDIT_TIMEOUT = 120


async def audit(url: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        str(NODE),
        "audit.mjs",
        url,
        cwd=PEERS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), AUDIT_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_graphql_http_audit_has_no_must_failures_and_no_should_warnings(
    empty_db: Database,
) -> None:
    settings = Settings()
    async with serving(create_app(settings, url_of(empty_db)), settings=settings) as base:
        results = await audit(f"{base}/graphql")
    assert len(results) >= 60, results  # the audit ran in full (61 in graphql-http 1.23)
    failed = [r for r in results if r["status"] in ("error", "warn")]
    assert failed == [], "\n".join(f"{r['id']} {r['name']}: {r['reason']}" for r in failed)
    counts = {s: sum(r["status"] == s for r in results) for s in ("ok", "notice")}
    print(f"graphql-http audit: {len(results)} audits, {counts}")
