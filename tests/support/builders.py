"""Rows for tests that need their own data: small, explicit, with sane defaults."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from reusegraph.store.engine import Database
from reusegraph.store.models import (
    BenefitRecord,
    ItSystem,
    Municipality,
    Process,
    ReuseLink,
    Technology,
    Vendor,
    process_it_system,
    process_technology,
    process_umbrella,
)

_counter = itertools.count(1)
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def municipality(code: str, **values: Any) -> dict[str, Any]:
    country = code[:2]
    return {
        "code": code,
        "name": f"Test municipality {code}",
        "country": country,
        "fte_hours_per_year": 1924 if country == "DK" else 1695,
        "currency": "DKK" if country == "DK" else "NOK",
        **values,
    }


def process(municipality_code: str, **values: Any) -> dict[str, Any]:
    n = next(_counter)
    moment = EPOCH + timedelta(minutes=n)
    return {
        "id": uuid.uuid4(),
        "municipality_code": municipality_code,
        "title": f"Test process {n}",
        "phase": "OPERATION",
        "visibility": "PUBLIC",
        "domains": [],
        "k_codes": [],
        "co_editors": [],
        "extras": {},
        "created_at": moment,
        "updated_at": moment,
        **values,
    }


def benefit(process_id: uuid.UUID, period: date, hours: float, **values: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "process_id": process_id,
        "period": period,
        "kind": "MEASURED",
        "hours_saved": hours,
        **values,
    }


def reuse(
    derived_id: uuid.UUID, origin_id: uuid.UUID, kind: str = "WHOLE_SOLUTION"
) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "derived_id": derived_id, "origin_id": origin_id, "kind": kind}


async def insert_rows(db: Database, **tables: list[dict[str, Any]]) -> None:
    """Insert in dependency order, in one transaction: ``insert_rows(db, process=[...])``."""
    order: dict[str, Any] = {
        "it_system": ItSystem.__table__,
        "technology": Technology.__table__,
        "municipality": Municipality.__table__,
        "vendor": Vendor.__table__,
        "process": Process.__table__,
        "process_it_system": process_it_system,
        "process_technology": process_technology,
        "process_umbrella": process_umbrella,
        "reuse_link": ReuseLink.__table__,
        "benefit_record": BenefitRecord.__table__,
    }
    unknown = set(tables) - set(order)
    assert not unknown, f"no builder table {unknown}"
    async with db.session(None) as session:
        for name, table in order.items():
            by_shape: dict[frozenset[str], list[dict[str, Any]]] = {}
            for row in tables.get(name, []):
                by_shape.setdefault(frozenset(row), []).append(row)
            for rows in by_shape.values():
                await session.execute(insert(cast(Table, table)), rows)
