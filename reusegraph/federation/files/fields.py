"""Which file column is which process field, and one row read into a process record.

One table, built from three originals so it cannot drift from them: the export's columns
(``store.exports.columns``: the Danish headers, and the label of every enum value, which
are read back through the export's own tables, inverted), the process table (each
column's type), and the source contract's GraphQL names. A file written by our export, a
JSON file with our GraphQL field names, and one with the database's column names all
read the same. Names match ignoring case.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reusegraph.federation.contract_fields import PROCESS_FIELDS
from reusegraph.federation.files import values as v
from reusegraph.federation.files.report import RowError
from reusegraph.federation.os2autoproces.fields import snake
from reusegraph.federation.os2autoproces.records import catalog_code
from reusegraph.store.enums import (
    ASSESSMENT_FIELDS,
    BenefitKind,
    Domain,
    Level,
    Phase,
    ProcessType,
    RunPeriod,
    Status,
    Visibility,
)
from reusegraph.store.exports.columns import COLUMNS
from reusegraph.store.mirror_records import WRITABLE, CatalogItem, LinkItem, P, ReuseRef, VendorRef
from reusegraph.store.models.processes import FORM_PATTERN, KLA_PATTERN, KLE_PATTERN

_ENUMS: dict[str, Any] = {
    "phase": Phase,
    "status": Status,
    "visibility": Visibility,
    "type": ProcessType,
    "run_period": RunPeriod,
    **{name: Level for name in ASSESSMENT_FIELDS},
}
_PATTERNS = {
    "kle": (KLE_PATTERN, "27.24.00"),
    "form": (FORM_PATTERN, "26.15.15.05"),
    "kla": (KLA_PATTERN, "10.88.11"),
}
_BY_TYPE: dict[type, v.Reader] = {
    str: v.text,
    int: v.integer,
    Decimal: v.decimal,
    bool: v.boolean,
    datetime: v.moment,
    date: v.day,
    list: v.texts,
}
# Export columns that are not a process column of the same name.
_EXPORT_TARGETS = {
    "id": "id",
    "vendor": "vendor",
    "itSystems": "it_systems",
    "technologies": "technologies",
    "links": "links",
    "municipalityName": "municipality_name",
    "sourceUrl": "source_url",
    "sourceId": "source_id",
    "caseReference": "esdh_reference",
    # Kept in extras under OS2autoproces's names, as its adapter does.
    "otherItSystems": "extras:itSystemsDescription",
    "services": "extras:services",
    "attachments": "extras:attachments",
}
NOT_IMPORTED = {
    "manualHoursPerYear": "computed here from runs per year and minutes per run",
    "expectedHoursPerYear": "computed here from the time inputs",
    "realisedHoursSaved": "the sum of benefit records, which a row does not list",
    "country": "the municipality's own",
    "orgNumber": "the municipality's own",
}


@dataclass(frozen=True)
class FileField:
    target: str
    """A process column, or a record part: id, vendor, it_systems, links, extras:<name> ..."""
    read: v.Reader
    ignored: str | None = None
    """Why a known column is not imported (computed here, or not the process's)."""


@dataclass
class ParsedRow:
    label: str
    values: dict[str, Any] = field(default_factory=dict)
    """Process columns."""
    parts: dict[str, Any] = field(default_factory=dict)
    """The other targets: id, vendor, it_systems, links, source_url, extras ..."""
    where: dict[str, str] = field(default_factory=dict)
    """Target -> the file's column name, to name the column in a later problem."""
    problems: list[RowError] = field(default_factory=list)

    def problem(self, target: str, value: Any, message: str, *, csv: bool) -> None:
        column = self.where.get(target) or column_name(target, csv=csv)
        self.problems.append(RowError(self.label, column, value, message))


def _column_reader(column: str, labels: Mapping[str, str] | None) -> v.Reader:
    if column in _ENUMS:
        return v.choice(_ENUMS[column], labels)
    if column == "domains":
        return v.choices(Domain, labels)
    if column in _PATTERNS:
        return v.matching(*_PATTERNS[column])
    if column == "extras":
        return v.json_object
    return _BY_TYPE[P.c[column].type.python_type]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _table() -> dict[str, FileField]:
    labels = {snake(c.key): c.labels for c in COLUMNS if c.labels}
    columns = {
        name: FileField(name, _column_reader(name, labels.get(name)))
        for name in WRITABLE
        if name not in ("vendor_id", "agreement_id")
    }
    names: dict[str, FileField] = {}

    def add(field: FileField, *aliases: str) -> None:
        for alias in aliases:
            names.setdefault(alias.strip().casefold(), field)

    for name, column in columns.items():
        add(column, name, camel(name))
    for graphql_name, (name, _, _) in PROCESS_FIELDS.items():
        add(columns[name], graphql_name)
    for c in COLUMNS:
        if c.key in NOT_IMPORTED:
            add(FileField("", v.text, NOT_IMPORTED[c.key]), c.header, c.key)
            continue
        target = _EXPORT_TARGETS.get(c.key, snake(c.key))
        add(columns.get(target) or FileField(target, _PARTS[target]), c.header, c.key)
    add(FileField("source_url", v.text), "url", "source_url")
    add(FileField("benefits", _benefits), "benefits")
    add(FileField("reused_from", _reused_from), "reusedFrom", "reused_from")
    add(FileField("umbrellas", _umbrella_ids), "umbrellaIds", "umbrella_ids")
    return names


def _umbrella_ids(value: Any) -> list[str]:
    """The IDs (in this file) of the umbrellas a row belongs to: a list, or "A-1, A-2"."""
    return [v.text(item) for item in v.lines(value, commas=True)]


def _vendor(value: Any) -> VendorRef:
    if not isinstance(value, dict):
        return VendorRef(v.text(value))
    name = v.field(value, "name")
    if not isinstance(name, str) or not name.strip():
        raise v.ValueProblem('expected a vendor name, or {"name": ..., "orgNumber": ...}')
    return VendorRef(
        name.strip(),
        country=v.field(value, "country"),
        org_number=v.field(value, "orgNumber", "org_number"),
    )


def _catalog(value: Any) -> list[CatalogItem]:
    items: dict[str, CatalogItem] = {}
    for entry in v.lines(value):
        name = v.field(entry, "name") if isinstance(entry, dict) else entry
        name = v.text(name) if name is not None else ""
        code = v.field(entry, "code") if isinstance(entry, dict) else None
        code = v.text(code) if code else catalog_code(name)
        if not name or not code:
            raise v.ValueProblem(f"{entry!r} needs a name with a letter or digit in it")
        items.setdefault(code, CatalogItem(code, name))
    return list(items.values())


def _links(value: Any) -> list[LinkItem]:
    links: list[LinkItem] = []
    for entry in v.lines(value):
        if isinstance(entry, dict):
            url, label = v.field(entry, "url"), v.field(entry, "label")
            internal = v.boolean(v.field(entry, "internal") or False)
            links.append(LinkItem(v.text(url or ""), label and v.text(label), internal))
        else:
            links.append(LinkItem(v.text(entry)))
    if any(not link.url for link in links):
        raise v.ValueProblem("every link needs a url")
    return links


def _objects(value: Any) -> list[dict[str, Any]]:
    items = v.json_value(value)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise v.ValueProblem("expected a JSON list of objects")
    return items


def _benefits(value: Any) -> list[dict[str, Any]]:
    read: list[dict[str, Any]] = []
    for index, item in enumerate(_objects(value), start=1):
        try:
            hours = v.field(item, "hoursSaved", "hours_saved")
            money = v.field(item, "moneyAmount", "money_amount")
            cases = v.field(item, "cases")
            kind = v.field(item, "kind") or BenefitKind.MEASURED.value
            read.append(
                {
                    "period": v.month(v.field(item, "period")),
                    "kind": v.choice(BenefitKind, None)(kind),
                    "cases": None if cases is None else v.integer(cases),
                    "hours_saved": v.decimal(hours if hours is not None else ""),
                    "money_amount": None if money is None else v.decimal(money),
                    "currency": v.field(item, "currency"),
                    "note": v.field(item, "note"),
                }
            )
        except v.ValueProblem as problem:
            raise v.ValueProblem(f"benefit {index}: {problem}") from None
    return read


def _reused_from(value: Any) -> list[ReuseRef]:
    read: list[ReuseRef] = []
    for index, item in enumerate(_objects(value), start=1):
        origin = v.field(item, "originId", "origin_id")
        reused_on = v.field(item, "reusedOn", "reused_on")
        if origin is None:
            raise v.ValueProblem(f"reuse {index}: originId (the origin's ID in this file) needed")
        read.append(
            ReuseRef(
                origin_id=v.text(origin),
                kind=v.text(v.field(item, "kind") or ""),
                note=v.field(item, "note"),
                reused_on=None if reused_on is None else v.day(reused_on),
            )
        )
    return read


def _extra(name: str) -> v.Reader:
    return v.text if name == "itSystemsDescription" else v.texts


_PARTS: dict[str, v.Reader] = {
    "id": v.text,
    "vendor": _vendor,
    "it_systems": _catalog,
    "technologies": _catalog,
    "links": _links,
    "municipality_name": v.text,
    "source_url": v.text,
    "source_id": v.text,
    **{
        target: _extra(target.removeprefix("extras:"))
        for target in _EXPORT_TARGETS.values()
        if target.startswith("extras:")
    },
}
FIELDS = _table()
_HEADERS = {
    target: c.header
    for c in COLUMNS
    for target in [_EXPORT_TARGETS.get(c.key, snake(c.key))]
    if c.key not in NOT_IMPORTED
}


def field_for(name: str) -> FileField | None:
    return FIELDS.get(name.strip().casefold())


def column_name(target: str, *, csv: bool) -> str:
    """How the report names a target the file has no column for: as our export would."""
    if csv and target in _HEADERS:
        return _HEADERS[target]
    return {"id": "id", "municipality_code": "municipalityCode"}.get(target, camel(target))


def parse_row(label: str, cells: Mapping[str, Any], *, csv: bool) -> ParsedRow:
    """Every recognised cell read; problems collected rather than stopping at the first."""
    row = ParsedRow(label)
    for name, raw in cells.items():
        found = field_for(name)
        if found is None or found.ignored is not None:
            continue
        value = v.unescape_csv(raw) if csv and isinstance(raw, str) else raw
        row.where[found.target] = name
        if v.is_blank(value):
            continue
        try:
            read = found.read(value)
        except v.ValueProblem as problem:
            row.problems.append(RowError(label, name, raw, str(problem)))
            continue
        if found.target in WRITABLE:
            row.values[found.target] = read
        elif found.target.startswith("extras:"):
            row.parts.setdefault("extras", {})[found.target.removeprefix("extras:")] = read
        else:
            row.parts[found.target] = read
    return row


def unrecognised(names: list[str]) -> tuple[list[str], list[str]]:
    """The file's columns this import does not know, and those it knows but skips."""
    unknown = [n for n in names if n.strip() and field_for(n) is None]
    skipped = [n for n in names if (f := field_for(n)) is not None and f.ignored is not None]
    return unknown, skipped


def check_target(reason: str) -> str:
    """The target a ``mirror_records.check`` reason is about (it starts with the column)."""
    first = re.split(r"[\s']", reason, maxsplit=1)[0]
    if reason.startswith("its id"):
        return "id"
    if reason.startswith("its url"):
        return "source_url"
    return {"benefit": "benefits", "reuse": "reused_from", "catalog": "it_systems"}.get(
        first, first
    )
