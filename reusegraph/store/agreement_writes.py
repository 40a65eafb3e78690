"""Writing framework agreements: create, update, and exercise the next option.

An agreement belongs to its parties (the contracting municipalities): only their editors
(or an admin) change it, and an editor cannot create or leave behind an agreement their
own municipality is not party to. The end date is never stored; exercising an option
only counts up ``options_exercised``, and the end date follows from it.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.enums import AgreementKind
from reusegraph.store.models import FrameworkAgreement, agreement_party, agreement_vendor
from reusegraph.store.references import (
    known_municipalities,
    known_vendors,
    linked,
    replace_links,
)
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import FieldError, WriteRejected, rejected
from reusegraph.store.write_rules import require_version, require_writer

A = cast(Table, FrameworkAgreement.__table__)
_OWNER = "agreement_id"


async def create_agreement(
    session: AsyncSession,
    call: Call,
    values: Mapping[str, Any],
    parties: Sequence[str],
    vendor_ids: Sequence[uuid.UUID],
) -> uuid.UUID:
    require_writer(call, parties, "create an agreement between " + ", ".join(sorted(parties)))
    parties = await known_municipalities(session, parties, "parties")
    vendor_ids = await known_vendors(session, vendor_ids, "vendorIds")
    _check_consistent(values, vendor_ids, ())
    agreement_id = uuid.uuid4()
    await session.execute(insert(A).values(id=agreement_id, **values))
    await replace_links(
        session, agreement_party, _OWNER, agreement_id, "municipality_code", parties
    )
    await replace_links(session, agreement_vendor, _OWNER, agreement_id, "vendor_id", vendor_ids)
    after = await _state(session, agreement_id)
    await audit.record(
        session,
        call,
        "frameworkAgreementCreate",
        "FrameworkAgreement",
        str(agreement_id),
        None,
        after,
    )
    return agreement_id


async def update_agreement(
    session: AsyncSession,
    call: Call,
    agreement_id: uuid.UUID,
    version: int,
    patch: Mapping[str, Any],
    parties: Sequence[str] | None = None,
    vendor_ids: Sequence[uuid.UUID] | None = None,
) -> uuid.UUID:
    row = await _writable(session, call, agreement_id, version)
    if parties is not None:
        require_writer(call, parties, "hand an agreement over to " + ", ".join(sorted(parties)))
        parties = await known_municipalities(session, parties, "patch", "parties")
    if vendor_ids is not None:
        vendor_ids = await known_vendors(session, vendor_ids, "patch", "vendorIds")
    current_vendors = await linked(session, agreement_vendor, _OWNER, agreement_id, "vendor_id")
    _check_consistent(
        {**row, **patch}, current_vendors if vendor_ids is None else vendor_ids, ("patch",)
    )
    before = await _state(session, agreement_id)
    await session.execute(
        update(A).where(A.c.id == agreement_id).values(**patch, version=A.c.version + 1)
    )
    if parties is not None:
        await replace_links(
            session, agreement_party, _OWNER, agreement_id, "municipality_code", parties
        )
    if vendor_ids is not None:
        await replace_links(
            session, agreement_vendor, _OWNER, agreement_id, "vendor_id", vendor_ids
        )
    after = await _state(session, agreement_id)
    await audit.record(
        session,
        call,
        "frameworkAgreementUpdate",
        "FrameworkAgreement",
        str(agreement_id),
        before,
        after,
    )
    return agreement_id


async def exercise_option(
    session: AsyncSession, call: Call, agreement_id: uuid.UUID, version: int
) -> uuid.UUID:
    row = await _writable(session, call, agreement_id, version)
    options = list(row["option_months"] or [])
    if row["terminated_on"] is not None:
        raise rejected(
            "INVALID",
            f"This agreement was terminated on {row['terminated_on']}; its options can no "
            "longer be exercised.",
            "id",
        )
    if row["options_exercised"] >= len(options):
        counted = f"all {len(options)} of its options are" if options else "it has no options"
        raise rejected(
            "OUT_OF_RANGE",
            f"No option left to exercise: {counted} exercised already "
            f"(options of {_months(options)}).",
            "id",
        )
    before = await _state(session, agreement_id)
    await session.execute(
        update(A)
        .where(A.c.id == agreement_id)
        .values(options_exercised=A.c.options_exercised + 1, version=A.c.version + 1)
    )
    after = await _state(session, agreement_id)
    await audit.record(
        session,
        call,
        "frameworkAgreementExerciseOption",
        "FrameworkAgreement",
        str(agreement_id),
        before,
        after,
    )
    return agreement_id


async def _writable(
    session: AsyncSession, call: Call, agreement_id: uuid.UUID, version: int
) -> Mapping[str, Any]:
    row = (
        (await session.execute(select(A).where(A.c.id == agreement_id).with_for_update()))
        .mappings()
        .first()
    )
    if row is None:
        raise rejected("NOT_FOUND", f"No framework agreement {agreement_id}.", "id")
    parties = await linked(session, agreement_party, _OWNER, agreement_id, "municipality_code")
    require_writer(call, parties, f"change agreement {row['title']!r}")
    require_version(dict(row), version, "agreement")
    return dict(row)


def _check_consistent(
    values: Mapping[str, Any], vendor_ids: Sequence[uuid.UUID], path: tuple[str, ...]
) -> None:
    """Rules across fields, checked on the agreement as it will be after the write."""
    errors: list[FieldError] = []
    options = list(values.get("option_months") or [])
    exercised = values.get("options_exercised") or 0
    if exercised > len(options):
        errors.append(
            FieldError(
                "OUT_OF_RANGE",
                f"optionsExercised is {exercised}, but the agreement has only {len(options)} "
                f"option(s) ({_months(options)}).",
                (*path, "optionsExercised"),
            )
        )
    terminated, start = values.get("terminated_on"), values.get("start_date")
    if terminated is not None and start is not None and terminated < start:
        errors.append(
            FieldError(
                "INVALID",
                f"terminatedOn ({terminated}) must not be before startDate ({start}).",
                (*path, "terminatedOn"),
            )
        )
    if values.get("kind") == AgreementKind.CONTRACT and len(vendor_ids) > 1:
        errors.append(
            FieldError(
                "INVALID",
                f"A CONTRACT has one vendor; got {len(vendor_ids)}. Use kind FRAMEWORK for "
                "several.",
                (*path, "vendorIds"),
            )
        )
    if errors:
        raise WriteRejected(*errors)


def _months(options: Sequence[int]) -> str:
    return " + ".join(f"{m} months" for m in options) or "none"


async def _state(session: AsyncSession, agreement_id: uuid.UUID) -> dict[str, Any]:
    row = (await session.execute(select(A).where(A.c.id == agreement_id))).mappings().one()
    parties = await linked(session, agreement_party, _OWNER, agreement_id, "municipality_code")
    vendors = await linked(session, agreement_vendor, _OWNER, agreement_id, "vendor_id")
    return {**snapshot(dict(row)), "parties": parties, "vendor_ids": [str(v) for v in vendors]}
