"""Registering municipalities: by an admin, or from the official lists during an import.

The directory's other writes (settings) are the municipality's own; which municipalities
exist, their names and identifiers (CVR, organisasjonsnummer) and mergers are an admin's,
or come from the official lists (``official_municipalities``) when an import or sync meets
an owner that is not registered yet: that registration is audited like any other.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.models import Municipality
from reusegraph.store.official_municipalities import OfficialMunicipality, official
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected
from reusegraph.store.write_rules import require_admin, require_version

M = cast(Table, Municipality.__table__)

# A full-time employee's yearly hours and the currency, where the input gives none.
DEFAULT_FTE_HOURS = {"DK": Decimal("1924"), "NO": Decimal("1695")}
DEFAULT_CURRENCY = {"DK": "DKK", "NO": "NOK", "SE": "SEK", "FI": "EUR", "IS": "ISK"}


async def register(session: AsyncSession, call: Call, values: Mapping[str, Any]) -> str:
    """``values``: code, name and optionally org_number, region, merged_into_code, note,
    fte_hours_per_year, currency (columns). Admins only."""
    require_admin(call, "register a municipality")
    return await _insert(session, call, dict(values), "municipalityRegister")


async def update_municipality(
    session: AsyncSession, call: Call, code: str, version: int, values: Mapping[str, Any]
) -> str:
    """Name, identifiers, region, merger: an admin's (settings are the municipality's)."""
    require_admin(call, "change a municipality's name or identifiers")
    row = (
        (await session.execute(select(M).where(M.c.code == code).with_for_update()))
        .mappings()
        .first()
    )
    if row is None:
        raise rejected("NOT_FOUND", f"No municipality {code!r}; codes look like NO-5001.", "code")
    require_version(dict(row), version, "municipality")
    await _check_references(session, code, values)
    before = snapshot(dict(row))
    await session.execute(
        update(M)
        .where(M.c.code == code)
        .values(**values, version=M.c.version + 1, updated_at=func.now())
    )
    after = snapshot(
        dict((await session.execute(select(M).where(M.c.code == code))).mappings().one())
    )
    await audit.record(session, call, "municipalityUpdate", "Municipality", code, before, after)
    return code


async def register_official(session: AsyncSession, call: Call, code: str) -> list[str]:
    """Registers ``code`` from the official lists (and what it merged into, first); returns
    the codes registered now.

    Raises a NOT_FOUND rejection when no list has the code. Used by imports and syncs, whose
    run has already been authorised; audited as ``municipalityRegister``."""
    found = official(code)
    if found is None:
        raise rejected(
            "NOT_FOUND",
            f"{code} is in no official municipality list (store/reference); an admin can"
            " register it with municipalityRegister or `reusegraph municipality add`.",
            "code",
        )
    done: list[str] = []
    if found.merged_into and not await exists(session, found.merged_into):
        done += await register_official(session, call, found.merged_into)
    if not await exists(session, found.code):
        await _insert(session, call, official_values(found), "municipalityRegister")
        done.append(found.code)
    return done


def official_values(found: OfficialMunicipality) -> dict[str, Any]:
    return {
        "code": found.code,
        "name": found.name,
        "org_number": found.org_number,
        "region": found.region,
        "merged_into_code": found.merged_into,
        "note": (
            f"Merged or renumbered on {found.valid_to.isoformat()}." if found.valid_to else None
        ),
    }


async def exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(M.c.code).where(M.c.code == code))) is not None


async def registered(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(M).order_by(M.c.code))
    return [dict(row) for row in rows.mappings()]


async def _insert(session: AsyncSession, call: Call, values: dict[str, Any], action: str) -> str:
    code: str = values["code"]
    country = code[:2]
    if await exists(session, code):
        raise rejected("DUPLICATE", f"{code} is registered already.", "code")
    await _check_references(session, code, values)
    fte = values.pop("fte_hours_per_year", None) or DEFAULT_FTE_HOURS.get(country)
    currency = values.pop("currency", None) or DEFAULT_CURRENCY.get(country)
    if fte is None:
        raise rejected(
            "REQUIRED", f"Give fteHoursPerYear for a municipality in {country}.", "fteHoursPerYear"
        )
    row = {**values, "country": country, "fte_hours_per_year": fte, "currency": currency}
    await session.execute(insert(M).values(**row))
    after = snapshot(
        dict((await session.execute(select(M).where(M.c.code == code))).mappings().one())
    )
    await audit.record(session, call, action, "Municipality", code, None, after)
    return code


async def _check_references(session: AsyncSession, code: str, values: Mapping[str, Any]) -> None:
    merged = values.get("merged_into_code")
    if merged is not None and (merged == code or not await exists(session, merged)):
        raise rejected(
            "NOT_FOUND",
            f"mergedInto {merged!r} is not another registered municipality.",
            "mergedInto",
        )
    org = values.get("org_number")
    if org is not None:
        taken = await session.scalar(
            select(M.c.code).where(M.c.org_number == org, M.c.code != code)
        )
        if taken is not None:
            raise rejected("DUPLICATE", f"orgNumber {org} belongs to {taken}.", "orgNumber")
