"""Row dicts keyed by model column names, grouped per table in insertion (foreign key) order.

Core ``insert(table)`` with a list of dicts compiles one statement from the first dict's
keys, so every dict of a table must carry the same keys: ``complete`` fills the columns a
caller left out with the value the ORM or the server would have used.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from reusegraph.store.enums import ASSESSMENT_FIELDS, Level, ProcessType
from reusegraph.store.models import (
    AgreementDocument,
    BenefitRecord,
    FrameworkAgreement,
    ItSystem,
    MeetingPresentation,
    Municipality,
    NetworkMeeting,
    Process,
    ReuseLink,
    Source,
    Technology,
    Vendor,
    agreement_party,
    agreement_vendor,
    meeting_it_system,
    meeting_participant,
    meeting_process,
    municipality_it_system,
    municipality_technology,
    process_it_system,
    process_technology,
    source_owner,
)

Row = dict[str, Any]

#: Timestamps of rows whose source gives no date: fixed, so ordering by updated_at is stable.
DEMO_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


def _table(model: Any) -> Table:
    table = model.__table__ if hasattr(model, "__table__") else model
    assert isinstance(table, Table)
    return table


@dataclass
class DemoRows:
    """One field per table, declared in the order the loader must insert them."""

    sources: list[Row] = field(default_factory=list)
    technologies: list[Row] = field(default_factory=list)
    it_systems: list[Row] = field(default_factory=list)
    municipalities: list[Row] = field(default_factory=list)
    source_owners: list[Row] = field(default_factory=list)
    municipality_technologies: list[Row] = field(default_factory=list)
    municipality_it_systems: list[Row] = field(default_factory=list)
    vendors: list[Row] = field(default_factory=list)
    agreements: list[Row] = field(default_factory=list)
    agreement_parties: list[Row] = field(default_factory=list)
    agreement_vendors: list[Row] = field(default_factory=list)
    agreement_documents: list[Row] = field(default_factory=list)
    processes: list[Row] = field(default_factory=list)
    process_technologies: list[Row] = field(default_factory=list)
    process_it_systems: list[Row] = field(default_factory=list)
    reuse_links: list[Row] = field(default_factory=list)
    benefit_records: list[Row] = field(default_factory=list)
    meetings: list[Row] = field(default_factory=list)
    meeting_participants: list[Row] = field(default_factory=list)
    meeting_processes: list[Row] = field(default_factory=list)
    meeting_it_systems: list[Row] = field(default_factory=list)
    meeting_presentations: list[Row] = field(default_factory=list)

    def extend(self, other: "DemoRows") -> None:
        for f in fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))

    def tables(self) -> Iterator[tuple[Table, list[Row]]]:
        for f in fields(self):
            yield TABLES[f.name], getattr(self, f.name)


TABLES: dict[str, Table] = {
    "sources": _table(Source),
    "technologies": _table(Technology),
    "it_systems": _table(ItSystem),
    "municipalities": _table(Municipality),
    "source_owners": source_owner,
    "municipality_technologies": municipality_technology,
    "municipality_it_systems": municipality_it_system,
    "vendors": _table(Vendor),
    "agreements": _table(FrameworkAgreement),
    "agreement_parties": agreement_party,
    "agreement_vendors": agreement_vendor,
    "agreement_documents": _table(AgreementDocument),
    "processes": _table(Process),
    "process_technologies": process_technology,
    "process_it_systems": process_it_system,
    "reuse_links": _table(ReuseLink),
    "benefit_records": _table(BenefitRecord),
    "meetings": _table(NetworkMeeting),
    "meeting_participants": meeting_participant,
    "meeting_processes": meeting_process,
    "meeting_it_systems": meeting_it_system,
    "meeting_presentations": _table(MeetingPresentation),
}

# What the ORM (Python-side default) or the server would fill in for NOT NULL columns.
_DEFAULTS: dict[str, Mapping[str, Any]] = {
    "process": {
        "domains": [],
        "k_codes": [],
        "co_editors": [],
        "sep_mep": False,
        "type": ProcessType.CHILD.value,
        "extras": {},
        "version": 1,
        **{name: Level.NOT_SET.value for name in ASSESSMENT_FIELDS},
    },
    "framework_agreement": {"option_months": [], "options_exercised": 0, "version": 1},
    "network_meeting": {"topics": [], "external_participants": [], "version": 1},
    "municipality": {"version": 1},
    "vendor": {"version": 1},
    "source": {
        "stale_after_seconds": 86400,
        "record_count": 0,
        "auth": "none",
        "timeout_seconds": 30,
        "max_run_seconds": 900,
        "page_size": 500,
        "consecutive_failures": 0,
        "last_run_upserts": 0,
        "last_run_deletes": 0,
        "last_run_skipped": 0,
    },
}

_COLUMNS: dict[str, list[tuple[str, bool]]] = {
    table.name: [(c.name, bool(c.nullable)) for c in table.columns if c.computed is None]
    for table in TABLES.values()
}


def complete(table: Table, values: Mapping[str, Any]) -> Row:
    """Every column of ``table`` (bar computed ones): given, defaulted, or NULL if nullable."""
    columns = _COLUMNS[table.name]
    unknown = set(values) - {name for name, _ in columns}
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    defaults = _DEFAULTS.get(table.name, {})
    row: Row = {}
    for name, nullable in columns:
        if name in values:
            row[name] = values[name]
        elif name in defaults:
            default = defaults[name]
            row[name] = default.copy() if isinstance(default, list | dict) else default
        elif nullable:
            row[name] = None
        else:
            raise KeyError(f"{table.name}.{name} is required")
    return row


def process_row(**values: Any) -> Row:
    return complete(TABLES["processes"], values)


assert list(TABLES) == [f.name for f in fields(DemoRows)], "TABLES must follow DemoRows"
