"""What ``reusegraph municipality add|list`` does: the operator registers as an admin.

The same checks and audit entries as ``municipalityRegister``; without ``--name`` the
official list shipped with reusegraph supplies name, CVR/organisasjonsnummer and region.
"""

from decimal import Decimal
from typing import Any

from reusegraph.api.source_admin import operator
from reusegraph.store import municipality_register
from reusegraph.store.engine import Database
from reusegraph.store.official_municipalities import official, official_municipalities
from reusegraph.store.write_errors import rejected


async def add_municipality(database_url: str, code: str, given: dict[str, Any]) -> str:
    """``given``: name, org_number, region, merged_into_code, fte_hours_per_year (None: the
    official list's value). Raises ``WriteRejected``."""
    code = code.strip().upper()
    listed = official(code)
    values = {k: v for k, v in given.items() if v is not None}
    if listed is not None:
        values = {**municipality_register.official_values(listed), **values}
    elif "name" not in values:
        raise rejected("REQUIRED", f"{code} is in no official list: give --name.", "name")
    values["code"] = code
    if "fte_hours_per_year" in values:
        values["fte_hours_per_year"] = Decimal(str(values["fte_hours_per_year"]))
    db = Database(database_url, pool_size=1)
    try:
        async with db.session(None) as session:
            return await municipality_register.register(session, operator(), values)
    finally:
        await db.dispose()


async def list_municipalities(database_url: str) -> list[dict[str, Any]]:
    db = Database(database_url, pool_size=1)
    try:
        async with db.session(None) as session:
            return await municipality_register.registered(session)
    finally:
        await db.dispose()


def official_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": m.code,
            "name": m.name,
            "org_number": m.org_number,
            "region": m.region,
            "merged_into_code": m.merged_into,
        }
        for m in official_municipalities()
    ]
