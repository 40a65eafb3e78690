"""What a sync hands the store: a remote process with its children, checked before writing.

Every remote (another reusegraph, OS2autoproces, a file) is turned into ``MirrorRecord``s.
``check`` applies the database's own rules in Python first, so one bad record is skipped
with a reason a person can act on, instead of failing the batch it arrived in.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, cast

from sqlalchemy import String, Table

from reusegraph.store.enums import (
    ASSESSMENT_FIELDS,
    BenefitKind,
    Domain,
    Level,
    Phase,
    ProcessType,
    ReuseKind,
    RunPeriod,
    Status,
    Visibility,
)
from reusegraph.store.models import Process
from reusegraph.store.models.processes import FORM_PATTERN, KLA_PATTERN, KLE_PATTERN

P = cast(Table, Process.__table__)
# Columns only the store or the sync engine sets.
NOT_FROM_REMOTE = frozenset(
    {"id", "source_code", "source_id", "source_url", "synced_at", "version", "search"}
    | {"title_trigrams"}
)
WRITABLE = tuple(c.name for c in P.c if c.name not in NOT_FROM_REMOTE and c.computed is None)
_LENGTHS = tuple(
    (c.name, c.type.length)
    for c in P.c
    if c.name in WRITABLE and isinstance(c.type, String) and c.type.length
)
NAMESPACE = uuid.UUID("5b0c1f0e-7a43-4d56-9d0e-6f9b3f1c2a71")

_ENUMS: dict[str, Any] = {
    "phase": Phase,
    "status": Status,
    "visibility": Visibility,
    "type": ProcessType,
    "run_period": RunPeriod,
    **{name: Level for name in ASSESSMENT_FIELDS},
}
_PATTERNS = {
    name: re.compile(pattern)
    for name, pattern in (("kle", KLE_PATTERN), ("form", FORM_PATTERN), ("kla", KLA_PATTERN))
}
_RANGES = {
    "runs_per_year": (0, 2**31 - 1),
    "minutes_per_run": (0, 99_999_999),
    "employees_doing_process": (0, 2**31 - 1),
    "automation_percentage": (0, 100),
    "development_hours": (0, 99_999_999),
    "rating": (0, 3),
}
_DEFAULTS: dict[str, Any] = {
    "domains": [],
    "k_codes": [],
    "co_editors": [],
    "extras": {},
    "sep_mep": False,
    "type": ProcessType.CHILD.value,
    **{name: Level.NOT_SET.value for name in ASSESSMENT_FIELDS},
}


@dataclass(frozen=True)
class CatalogItem:
    code: str
    name: str
    supplier: str | None = None


@dataclass(frozen=True)
class VendorRef:
    name: str
    country: str | None = None
    org_number: str | None = None


@dataclass(frozen=True)
class ReuseRef:
    """A reuse link to ``origin_id``, an id of the same remote (its source id)."""

    origin_id: str
    kind: str
    note: str | None = None
    reused_on: date | None = None


@dataclass(frozen=True)
class LinkItem:
    url: str
    label: str | None = None
    internal: bool = False


@dataclass
class MirrorRecord:
    source_id: str
    values: dict[str, Any]
    """Process columns (``WRITABLE``); missing ones take the model's defaults."""
    source_url: str | None = None
    vendor: VendorRef | None = None
    it_systems: list[CatalogItem] = field(default_factory=list)
    technologies: list[CatalogItem] = field(default_factory=list)
    benefits: list[dict[str, Any]] = field(default_factory=list)
    reused_from: list[ReuseRef] = field(default_factory=list)
    links: list[LinkItem] = field(default_factory=list)
    umbrellas: list[str] | None = None
    """Source ids of the umbrellas it belongs to; None: the source does not say (kept)."""
    umbrella_members: list[str] | None = None
    """For an umbrella: source ids of its members; None: the source does not say (kept)."""
    refused: str | None = None
    """Why the source's adapter could not map it (the value and what is wrong), in the
    source's own terms; such a record is skipped with this reason."""

    @property
    def municipality(self) -> str | None:
        value = self.values.get("municipality_code")
        return value if isinstance(value, str) else None

    @property
    def updated_at(self) -> datetime | None:
        value = self.values.get("updated_at")
        return value if isinstance(value, datetime) else None


@dataclass(frozen=True)
class Tombstone:
    source_id: str
    deleted_at: datetime | None = None


def mirror_id(source_code: str, source_id: str) -> uuid.UUID:
    """The same remote record gets the same id here on every replica, and after a re-sync."""
    return uuid.uuid5(NAMESPACE, f"{source_code}\x00{source_id}")


_NO_VALUES = dict.fromkeys(WRITABLE)
_WRITABLE = frozenset(WRITABLE)


def complete(record: MirrorRecord) -> dict[str, Any]:
    """The record's column values with defaults filled in; unknown keys are dropped."""
    if record.values.keys() <= _WRITABLE:
        values = {**_NO_VALUES, **record.values}
    else:
        values = {name: record.values.get(name) for name in WRITABLE}
    for name, default in _DEFAULTS.items():
        if values.get(name) is None:
            values[name] = default
    return values


def check(record: MirrorRecord, values: dict[str, Any] | None = None) -> str | None:
    """Why the record cannot be stored, or None. Mirrors the table's CHECK constraints.

    ``values``: ``complete(record)``, when the caller has it already.
    """
    if record.refused is not None:
        return record.refused
    if values is None:
        values = complete(record)
    if not record.source_id or len(record.source_id) > 255:
        return "its id must be 1-255 characters"
    for name in ("municipality_code", "title", "phase", "visibility"):
        if values.get(name) in (None, ""):
            return f"{name} is missing"
    for name, enum in _ENUMS.items():
        if values.get(name) is not None and values[name] not in _values(enum):
            return f"{name} {values[name]!r} is not one of {', '.join(_values(enum))}"
    unknown = [d for d in values["domains"] if d not in _values(Domain)]
    if unknown:
        return f"domains {unknown} are not among {', '.join(_values(Domain))}"
    for name, pattern in _PATTERNS.items():
        if values.get(name) is not None and not pattern.match(str(values[name])):
            return f"{name} {values[name]!r} does not match {pattern.pattern}"
    for name, (low, high) in _RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return f"{name} {value!r} is not a number"
        if not low <= value <= high:
            return f"{name} {value} is outside {low}-{high}"
    for name, limit in _LENGTHS:
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            return f"{name} is longer than {limit} characters"
    if record.source_url is not None and len(record.source_url) > 2048:
        return "its url is longer than 2048 characters"
    return _check_children(record)


_MEASURED = BenefitKind.MEASURED.value
_CURRENCY = re.compile(r"^[A-Z]{3}$")


_KINDS = frozenset(kind.value for kind in BenefitKind)
_PLAIN_NUMBERS = frozenset({int, float})


def _benefits_plainly_valid(benefits: list[dict[str, Any]]) -> bool:
    """The usual case, in a few passes over a process's benefit records instead of a
    Python loop over each (2.4 million of them in a large first sync). False means
    "look closer", not "invalid": the loop below then finds what is wrong, if anything."""
    try:
        pairs = {(b["period"], b.get("kind", _MEASURED)) for b in benefits}
        hours = [b["hours_saved"] for b in benefits]
        without_money = [b.get("money_amount") is None for b in benefits]
        currencies = [b.get("currency") for b in benefits]
    except (KeyError, TypeError):
        return False
    return (
        len(pairs) == len(benefits)
        and {kind for _, kind in pairs} <= _KINDS
        and all(type(period) is date and period.day == 1 for period, _ in pairs)
        and {type(h) for h in hours} <= _PLAIN_NUMBERS
        and min(hours) >= 0
        and without_money == [c is None for c in currencies]
        and all(c is None or (type(c) is str and _CURRENCY.match(c)) for c in set(currencies))
    )


def _check_children(record: MirrorRecord) -> str | None:
    months: set[tuple[date, str]] = set()
    kinds = _values(BenefitKind)
    benefits = record.benefits
    if benefits and _benefits_plainly_valid(benefits):
        benefits = []
    for benefit in benefits:
        period, kind = benefit.get("period"), benefit.get("kind", _MEASURED)
        if not isinstance(period, date) or period.day != 1:
            return f"benefit period {period!r} is not a month"
        if kind not in kinds:
            return f"benefit kind {kind!r} is not one of {', '.join(kinds)}"
        if (period, kind) in months:
            return f"two {kind} benefit records for {period:%Y-%m}"
        months.add((period, kind))
        hours = benefit.get("hours_saved")
        if type(hours) is float or type(hours) is int:
            valid = hours >= 0
        else:
            exact = _decimal(hours)
            valid = exact is not None and exact >= 0
        if not valid:
            return f"benefit hoursSaved {benefit.get('hours_saved')!r} must be a number >= 0"
        currency = benefit.get("currency")
        if (benefit.get("money_amount") is None) != (currency is None):
            return "benefit moneyAmount and currency must come together"
        if currency is not None and not _CURRENCY.match(str(currency)):
            return f"benefit currency {currency!r} is not an ISO 4217 code"
    for link in record.reused_from:
        if link.kind not in _values(ReuseKind):
            return f"reuse kind {link.kind!r} is not one of {', '.join(_values(ReuseKind))}"
    for item in (*record.it_systems, *record.technologies):
        if not item.code or len(item.code) > 64 or not item.name or len(item.name) > 255:
            return f"catalog entry {item.code!r} needs a code (<= 64) and a name (<= 255)"
    return None


@cache
def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None
