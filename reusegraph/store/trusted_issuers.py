"""Issuers an admin registers at runtime, as records: read one, register, remove.

A registration is never edited in place: changing one is removing it and registering
it again, so what a token was checked against is always one audited registration.
The registry in memory (``auth.registry``) reloads from this table; the caller of these
functions tells it when to.
"""

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.engine import Reader
from reusegraph.store.models import TrustedIssuer
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import FieldError, WriteRejected, rejected
from reusegraph.store.write_rules import require_admin, require_version

T = cast(Table, TrustedIssuer.__table__)


async def registered_issuer(reader: Reader, name: str) -> Row[Any] | None:
    return (await reader.execute(select(T).where(T.c.name == name))).first()


async def register(session: AsyncSession, call: Call, config: Mapping[str, Any]) -> str:
    """``config`` is ``IssuerConfig.to_json()``: checked already, stored as it is."""
    require_admin(call, "register token issuers")
    name, issuer = config["name"], config["issuer"]
    errors = []
    for column, value in (("name", name), ("issuer", issuer)):
        taken = await session.execute(select(T.c.name).where(T.c[column] == value))
        holder = taken.scalar()
        if holder is not None:
            errors.append(
                FieldError(
                    "DUPLICATE",
                    f"{column} {value!r} is registered already (as {holder!r}); remove that "
                    "registration first to change it.",
                    (column,),
                )
            )
    if errors:
        raise WriteRejected(*errors)
    row = (
        (
            await session.execute(
                insert(T).values(name=name, issuer=issuer, config=dict(config)).returning(T)
            )
        )
        .mappings()
        .one()
    )
    await audit.record(
        session, call, "issuerRegister", "TrustedIssuer", name, None, snapshot(dict(row))
    )
    return str(name)


async def remove(session: AsyncSession, call: Call, name: str, version: int) -> str:
    require_admin(call, "remove token issuers")
    statement = select(T).where(T.c.name == name).with_for_update()
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise rejected(
            "NOT_FOUND",
            f"No registered issuer {name!r}; issuers from the configuration cannot be removed "
            "here.",
            "name",
        )
    require_version(dict(row), version, "issuer registration")
    await session.execute(delete(T).where(T.c.name == name))
    await audit.record(
        session, call, "issuerRemove", "TrustedIssuer", name, snapshot(dict(row)), None
    )
    return name
