"""The owners a sync brings: municipalities a remote lists that this gateway has not met.

A source writes only its owners' records (``sync_writes``), and a municipality has one
owning source. A municipality that is not registered here has no source yet, so the
source that brings it is the one to own it: it is registered from the official lists
(``municipality_register.register_official``) and becomes an owner of that source, both
in the page's transaction and audited. A code in no official list is not guessed: its
records are dropped, and the run's report says so. Records of a municipality that is
registered already (a shared OS2autoproces installation lists everyone's) are another
source's to bring, or an admin's to assign: counted as not ours, not dropped.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Principal, Role
from reusegraph.store import audit, municipality_register
from reusegraph.store.audit import Call
from reusegraph.store.models import Municipality, source_owner
from reusegraph.store.official_municipalities import official, official_name

SYNC = Call(Principal(issuer="reusegraph", subject="sync", roles=frozenset({Role.ADMIN})))
"""The audit's author of what a sync registers: the system, not a person."""


@dataclass
class BroughtOwners:
    registered: list[str] = field(default_factory=list)
    """``<code> <name>`` of each municipality registered now (mergers' successors too)."""
    adopted: list[str] = field(default_factory=list)
    """Codes that became owners of the source now."""
    why_not_ours: dict[str, str] = field(default_factory=dict)
    """Code -> why its records are dropped."""
    elsewhere: dict[str, str | None] = field(default_factory=dict)
    """Code -> the other source that owns it (None: hosted here, or an admin's to assign):
    its records are not this source's, and not dropped either."""


async def bring_owners(
    session: AsyncSession, source_code: str, owners: list[str], codes: Iterable[str | None]
) -> BroughtOwners:
    """Registers and adopts the unregistered official municipalities among ``codes``.

    ``owners`` is extended in place, so the caller's next pages know them."""
    brought = BroughtOwners()
    missing = sorted({code for code in codes if code is not None} - set(owners))
    if not missing:
        return brought
    M = cast(Table, Municipality.__table__)
    known = set((await session.execute(select(M.c.code).where(M.c.code.in_(missing)))).scalars())
    rows = await session.execute(
        select(source_owner.c.municipality_code, source_owner.c.source_code).where(
            source_owner.c.municipality_code.in_(missing)
        )
    )
    owned = {municipality: source for municipality, source in rows}
    for code in missing:
        if code in owned or code in known:
            brought.elsewhere[code] = owned.get(code)
        elif official(code) is None:
            brought.why_not_ours[code] = f"unknown municipality {code}"
        else:
            done = await municipality_register.register_official(session, SYNC, code)
            brought.registered += [f"{now} {official_name(now)}" for now in done]
            await _adopt(session, source_code, code)
            owners.append(code)
            brought.adopted.append(code)
    return brought


async def _adopt(session: AsyncSession, source_code: str, code: str) -> None:
    await session.execute(
        insert(source_owner).values(source_code=source_code, municipality_code=code)
    )
    await audit.record(
        session,
        SYNC,
        "syncOwnerAdd",
        "Source",
        source_code,
        None,
        {"owner": code, "reason": "registered from the official list by this source's sync"},
    )
