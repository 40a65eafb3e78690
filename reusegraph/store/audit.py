"""The audit log: every write leaves one entry, in the same transaction as the write."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Principal
from reusegraph.store.models import AuditEntry


@dataclass(frozen=True)
class Call:
    """Who is writing and through which request; passed to every write function."""

    viewer: Principal
    request_id: str | None = None
    client_mutation_id: str | None = None


async def record(
    session: AsyncSession,
    call: Call,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await session.execute(
        insert(AuditEntry).values(
            issuer=call.viewer.issuer,
            subject=call.viewer.subject,
            municipality_code=call.viewer.municipality,
            action=action,
            client_mutation_id=call.client_mutation_id,
            request_id=call.request_id,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )
