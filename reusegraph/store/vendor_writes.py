"""Writing vendors: the shared list of suppliers every municipality's agreements refer to.

Any editor may add a vendor (a municipality that buys from a new supplier needs it
listed). Changing one is for an admin, or for an editor of a municipality that is party
to an agreement with that vendor: those are the municipalities that know the supplier
and whose records show its name. A vendor nobody has an agreement with yet can only be
corrected by an admin.
"""

import re
import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.models import Vendor, agreement_party, agreement_vendor
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import FieldError, WriteRejected, rejected
from reusegraph.store.write_rules import require_editor, require_version, require_writer

V = cast(Table, Vendor.__table__)
# country -> (pattern, what it is); other countries: _ANY_ORG_NUMBER
_ORG_NUMBERS = {
    "DK": (re.compile(r"^[0-9]{8}$"), "a CVR number of 8 digits, e.g. 29189846"),
    "NO": (re.compile(r"^[0-9]{9}$"), "an organisasjonsnummer of 9 digits, e.g. 942110464"),
}
_ANY_ORG_NUMBER = (re.compile(r"^[0-9][0-9-]{3,18}[0-9]$"), "5-20 digits (and '-')")


async def create_vendor(session: AsyncSession, call: Call, values: Mapping[str, Any]) -> uuid.UUID:
    require_editor(call)
    await _check(session, values, None, ())
    vendor_id = uuid.uuid4()
    row = (
        (await session.execute(insert(V).values(id=vendor_id, **values).returning(V)))
        .mappings()
        .one()
    )
    await audit.record(
        session, call, "vendorCreate", "Vendor", str(vendor_id), None, snapshot(dict(row))
    )
    return vendor_id


async def update_vendor(
    session: AsyncSession,
    call: Call,
    vendor_id: uuid.UUID,
    version: int,
    patch: Mapping[str, Any],
) -> uuid.UUID:
    row = (
        (await session.execute(select(V).where(V.c.id == vendor_id).with_for_update()))
        .mappings()
        .first()
    )
    if row is None:
        raise rejected("NOT_FOUND", f"No vendor {vendor_id}.", "id")
    before = dict(row)
    require_writer(
        call,
        await parties_of_vendor(session, vendor_id),
        f"change vendor {row['name']!r} (parties to its agreements)",
    )
    require_version(before, version, "vendor")
    await _check(session, {**before, **patch}, vendor_id, ("patch",))
    after = (
        (
            await session.execute(
                update(V)
                .where(V.c.id == vendor_id)
                .values(**patch, version=V.c.version + 1)
                .returning(V)
            )
        )
        .mappings()
        .one()
    )
    await audit.record(
        session,
        call,
        "vendorUpdate",
        "Vendor",
        str(vendor_id),
        snapshot(before),
        snapshot(dict(after)),
    )
    return vendor_id


async def parties_of_vendor(session: AsyncSession, vendor_id: uuid.UUID) -> set[str]:
    AP, AV = agreement_party, agreement_vendor
    rows = await session.execute(
        select(AP.c.municipality_code)
        .join(AV, AV.c.agreement_id == AP.c.agreement_id)
        .where(AV.c.vendor_id == vendor_id)
        .distinct()
    )
    return set(rows.scalars())


async def _check(
    session: AsyncSession,
    values: Mapping[str, Any],
    own_id: uuid.UUID | None,
    path: tuple[str, ...],
) -> None:
    """On the vendor as it will be: organisation number format, then no duplicates.

    The unique constraints are exact; names are compared ignoring case here, so that
    'AVO Consulting AS' is found when 'Avo Consulting AS' is added.
    """
    number = values.get("org_number")
    if number is not None:
        pattern, what = _ORG_NUMBERS.get(values["country"], _ANY_ORG_NUMBER)
        if not pattern.match(number):
            raise rejected(
                "INVALID",
                f"orgNumber {number!r} must be {what} for a vendor in {values['country']}.",
                *path,
                "orgNumber",
            )
    errors: list[FieldError] = []
    others = V.c.id != own_id if own_id is not None else V.c.id.is_not(None)
    same_name = await session.execute(
        select(V.c.id, V.c.name).where(func.lower(V.c.name) == values["name"].lower(), others)
    )
    clash = same_name.first()
    if clash is not None:
        errors.append(
            FieldError(
                "DUPLICATE",
                f"A vendor named {clash.name!r} exists already (Vendor:{clash.id}); use it "
                "or choose another name.",
                (*path, "name"),
            )
        )
    if values.get("org_number"):
        same_number = await session.execute(
            select(V.c.id, V.c.name).where(
                V.c.country == values["country"], V.c.org_number == values["org_number"], others
            )
        )
        clash = same_number.first()
        if clash is not None:
            errors.append(
                FieldError(
                    "DUPLICATE",
                    f"{clash.name!r} (Vendor:{clash.id}) has organisation number "
                    f"{values['org_number']} in {values['country']} already.",
                    (*path, "orgNumber"),
                )
            )
    if errors:
        raise WriteRejected(*errors)
