"""A municipality's own settings: FTE hours, the systems and technologies it uses, its IdP.

The systems and technologies feed the reuse candidates (a process built for systems a
municipality also uses is a candidate for it), so they are replaced as a whole, as the
editor sees the list, and the audit entry shows both lists before and after.
"""

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.models import (
    ItSystem,
    Municipality,
    Technology,
    municipality_it_system,
    municipality_technology,
)
from reusegraph.store.references import known_codes, linked, replace_links
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected
from reusegraph.store.write_rules import require_version, require_writer

M = cast(Table, Municipality.__table__)
_OWNER = "municipality_code"


async def update_settings(
    session: AsyncSession,
    call: Call,
    code: str,
    version: int,
    values: Mapping[str, Any],
    it_systems: Sequence[str] | None = None,
    technologies: Sequence[str] | None = None,
) -> str:
    """``values`` are columns (fte_hours_per_year, note, identity_provider)."""
    row = (
        (await session.execute(select(M).where(M.c.code == code).with_for_update()))
        .mappings()
        .first()
    )
    if row is None:
        raise rejected("NOT_FOUND", f"No municipality {code!r}; codes look like NO-5001.", "code")
    require_writer(call, {code}, f"change the settings of {code}")
    require_version(dict(row), version, "municipality")
    if it_systems is not None:
        it_systems = await known_codes(session, ItSystem, it_systems, "patch", "itSystems")
    if technologies is not None:
        technologies = await known_codes(session, Technology, technologies, "patch", "technologies")
    before = await _state(session, code)
    await session.execute(
        update(M)
        .where(M.c.code == code)
        .values(**values, version=M.c.version + 1, updated_at=func.now())
    )
    if it_systems is not None:
        await replace_links(
            session, municipality_it_system, _OWNER, code, "it_system_code", it_systems
        )
    if technologies is not None:
        await replace_links(
            session, municipality_technology, _OWNER, code, "technology_code", technologies
        )
    after = await _state(session, code)
    await audit.record(
        session, call, "municipalitySettingsUpdate", "Municipality", code, before, after
    )
    return code


async def _state(session: AsyncSession, code: str) -> dict[str, Any]:
    row = (await session.execute(select(M).where(M.c.code == code))).mappings().one()
    return {
        **snapshot(dict(row)),
        "it_systems": await linked(session, municipality_it_system, _OWNER, code, "it_system_code"),
        "technologies": await linked(
            session, municipality_technology, _OWNER, code, "technology_code"
        ),
    }
