"""The source contract's ``changes`` feed: how another gateway mirrors this registry.

A flat, self-contained record per process (no global ids, no nested resolvers), so any
registry can serve the same shape and a consumer can store it as it comes. The contract
is documented in docs/source-contract.md; change the two together.
"""

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import (
    BenefitKind,
    Country,
    Level,
    ReuseKind,
)
from reusegraph.schema.filters import check_municipality_code
from reusegraph.schema.process_columns import FeedColumns, feed_values
from reusegraph.store import changes as store
from reusegraph.store.enums import ASSESSMENT_FIELDS

DEFAULT_FIRST = 100
_CURSOR_PREFIX = "c1:"


def encode_cursor(position: store.Position) -> str:
    raw = f"{_CURSOR_PREFIX}{position.xid}:{position.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> store.Position:
    if cursor is None or cursor == "":
        return store.START
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        xid, seq = raw.removeprefix(_CURSOR_PREFIX).split(":")
        position = store.Position(int(xid), int(seq))
        if position.xid < 0 or position.seq < 0:
            raise ValueError(raw)
        return position
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadUserInput(
            "since is not a cursor of this feed; pass the `cursor` of an earlier page, or"
            " leave it out to start from the beginning",
            argument="since",
        ) from None


@strawberry.type(description="An IT system or technology, by its code in the shared catalog.")
class FeedCode:
    code: str
    name: str


@strawberry.type(description="The vendor that delivered the process, matched by name.")
class FeedVendor:
    name: str
    country: Country
    org_number: str | None


@strawberry.type(description="One month's benefit figures of one kind.")
class FeedBenefit:
    period: Month
    kind: BenefitKind
    cases: int | None
    hours_saved: float
    money_amount: float | None
    currency: str | None
    note: str | None


@strawberry.type(description="This process was derived from `originId` (an id of this feed).")
class FeedReuse:
    origin_id: strawberry.ID
    origin_municipality: str
    kind: ReuseKind
    note: str | None
    reused_on: date | None


@strawberry.type
class FeedLink:
    url: str
    label: str | None
    internal: bool


@strawberry.type(description="A process as the source holds it now: replaces the mirror's copy.")
class FeedProcess(FeedColumns):  # type: ignore[misc]
    """Its columns as they are come from ``store.process_fields`` (``FeedColumns``)."""

    id: strawberry.ID = strawberry.field(description="Stable id in this registry (source id).")
    municipality: str
    url: str | None = strawberry.field(description="Where a person can see the record, if known.")
    level_of_professional_assessment: Level
    level_of_change: Level
    level_of_structured_information: Level
    level_of_uniformity: Level
    level_of_digital_information: Level
    level_of_quality: Level
    level_of_speed: Level
    level_of_routine_work_reduction: Level
    evaluated_level_of_roi: Level
    rating: int | None
    contact_name: str | None
    contact_email: str | None
    other_contact_email: str | None
    vendor: FeedVendor | None
    it_systems: list[FeedCode]
    technologies: list[FeedCode]
    benefits: list[FeedBenefit]
    reused_from: list[FeedReuse]
    links: list[FeedLink]
    umbrella_ids: list[strawberry.ID] = strawberry.field(
        description="Ids (of this feed) of the umbrellas it belongs to, own and shared."
    )

    @classmethod
    def from_record(cls, record: store.FeedProcess) -> "FeedProcess":
        r = record.row._mapping
        vendor = record.vendor
        return cls(
            id=strawberry.ID(str(r["id"])),
            municipality=r["municipality_code"],
            url=r["source_url"],
            **feed_values(r),
            **{name: r[name] for name in _GROUPED},
            vendor=FeedVendor(
                name=vendor.name, country=vendor.country, org_number=vendor.org_number
            )
            if vendor is not None
            else None,
            it_systems=[FeedCode(code=c.code, name=c.name) for c in record.it_systems],
            technologies=[FeedCode(code=c.code, name=c.name) for c in record.technologies],
            benefits=[_benefit(b) for b in record.benefits],
            reused_from=[
                FeedReuse(
                    origin_id=strawberry.ID(str(link.origin_id)),
                    origin_municipality=link.origin_municipality,
                    kind=link.kind,
                    note=link.note,
                    reused_on=link.reused_on,
                )
                for link in record.reused_from
            ],
            links=[FeedLink(url=k.url, label=k.label, internal=k.internal) for k in record.links],
            umbrella_ids=[strawberry.ID(str(u)) for u in record.umbrellas],
        )


@strawberry.type(description="The process's record is gone from the source (or hidden from you).")
class FeedTombstone:
    id: strawberry.ID
    municipality: str
    deleted_at: datetime | None


@strawberry.type(description="One page of changes; pass `cursor` as `since` for the next one.")
class ChangeFeed:
    upserts: list[FeedProcess]
    tombstones: list[FeedTombstone]
    cursor: str = strawberry.field(
        description="Opaque. Equal to `since` when nothing new has committed yet."
    )
    has_more: bool = strawberry.field(description="More changes are ready: ask again at once.")


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        description="The source contract: every process (of `municipality`, or all) that changed"
        f" after `since`, at most `first` (default {DEFAULT_FIRST}, max {store.MAX_FIRST}),"
        " in commit order, as you may read them. Start without `since`; keep the cursor."
    )
    async def changes(
        self,
        info: Info,
        since: str | None = None,
        first: int | None = None,
        municipality: str | None = None,
    ) -> ChangeFeed:
        size = DEFAULT_FIRST if first is None else first
        if not 0 <= size <= store.MAX_FIRST:
            raise BadUserInput(
                f"first must be between 0 and {store.MAX_FIRST}; got {size}. Page with the"
                " cursor for more.",
                argument="first",
            )
        position = decode_cursor(since)
        if municipality is not None:
            check_municipality_code(municipality, "municipality")
        context = info.context
        page = await store.changes(
            context.reader, context.viewer, since=position, first=size, municipality=municipality
        )
        return ChangeFeed(
            upserts=[FeedProcess.from_record(record) for record in page.upserts],
            tombstones=[
                FeedTombstone(
                    id=strawberry.ID(str(t.process_id)),
                    municipality=t.municipality_code,
                    deleted_at=t.deleted_at,
                )
                for t in page.tombstones
            ],
            cursor=encode_cursor(page.position),
            has_more=page.has_more,
        )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _benefit(row: Any) -> FeedBenefit:
    return FeedBenefit(
        period=Month(row.period),
        kind=row.kind,
        cases=row.cases,
        hours_saved=float(row.hours_saved),
        money_amount=_float(row.money_amount),
        currency=row.currency,
        note=row.note,
    )


_GROUPED = (
    *ASSESSMENT_FIELDS,
    "rating",
    "contact_name",
    "contact_email",
    "other_contact_email",
)
"""Columns that ``Process`` groups (assessment, contact) and the feed keeps flat."""
