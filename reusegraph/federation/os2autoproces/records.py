"""The neutral record an OS2autoproces process becomes, ready for the store's write path.

``ProcessRow`` has exactly the columns of ``reusegraph.store.models.Process`` except the
computed ones (search vectors) and the ones the store or the sync engine owns
(``STORE_OWNED_COLUMNS``): the primary key, the optimistic-concurrency version, and the
source code and sync time that only the sync engine knows. Relations that live in other
tables (IT systems, technologies, links, umbrella children, the vendor by name) travel
beside the row in ``MappedProcess``.
"""

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

STORE_OWNED_COLUMNS = frozenset({"id", "version", "source_code", "synced_at"})


class ProcessRow(TypedDict):
    municipality_code: str | None
    title: str | None
    summary: str | None
    description: str | None
    process_challenges: str | None
    solution_requests: str | None
    automation_description: str | None
    technical_implementation_notes: str | None
    organizational_implementation_notes: str | None
    status_text: str | None
    rating_comment: str | None
    time_spend_comment: str | None
    search_words: str | None
    department: str | None
    domains: list[str]
    kle: str | None
    form: str | None
    kla: str | None
    k_codes: list[str]
    kl_id: str | None
    sep_mep: bool
    legal_clause: str | None
    legal_clause_last_verified: date | None
    phase: str | None
    status: str | None
    visibility: str | None
    type: str
    run_period: str | None
    runs_per_year: int | None
    minutes_per_run: Decimal | None
    employees_doing_process: int | None
    automation_percentage: int | None
    development_hours: Decimal | None
    targets_citizens: bool | None
    targets_companies: bool | None
    level_of_professional_assessment: str
    level_of_change: str
    level_of_structured_information: str
    level_of_uniformity: str
    level_of_digital_information: str
    level_of_quality: str
    level_of_speed: str
    level_of_routine_work_reduction: str
    evaluated_level_of_roi: str
    rating: int | None
    vendor_id: uuid.UUID | None
    agreement_id: uuid.UUID | None
    put_into_operation: date | None
    decommissioned: date | None
    code_repository_url: str | None
    contact_name: str | None
    contact_email: str | None
    other_contact_email: str | None
    internal_notes: str | None
    esdh_reference: str | None
    reporter: str | None
    owner: str | None
    co_editors: list[str]
    source_id: str | None
    source_url: str | None
    extras: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None


REQUIRED_COLUMNS = ("municipality_code", "title", "phase", "visibility", "source_id")
"""A row without these cannot be stored; the sync engine skips it (the report says why)."""


def catalog_code(name: str) -> str:
    """A slug like the catalog's own codes: "Økonomisystem (ERP)" -> "okonomisystem-erp"."""
    folded = name.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:64]


@dataclass(frozen=True)
class CatalogRef:
    """An IT system or technology by name; ``code`` is what the catalog row would be keyed by."""

    code: str
    name: str
    supplier: str | None = None

    @classmethod
    def named(cls, name: str, supplier: str | None = None) -> "CatalogRef":
        return cls(code=catalog_code(name), name=name, supplier=supplier)


@dataclass(frozen=True)
class LinkRef:
    url: str
    internal: bool = False


@dataclass(frozen=True)
class Problem:
    """One value that could not be mapped: which record, which OS2autoproces field, what."""

    source_id: str | None
    field: str
    value: Any
    message: str


@dataclass
class MappedProcess:
    row: ProcessRow
    it_systems: list[CatalogRef] = field(default_factory=list)
    technologies: list[CatalogRef] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    vendor_name: str | None = None
    """OS2autoproces's free-text vendor; the sync engine resolves it to ``vendor_id``."""
    umbrella_children: list[str] = field(default_factory=list)
    """Source ids of the processes this umbrella groups (``process_umbrella``)."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def source_id(self) -> str | None:
        return self.row["source_id"]

    @property
    def storable(self) -> bool:
        return all(self.row[column] is not None for column in REQUIRED_COLUMNS)  # type: ignore[literal-required]
