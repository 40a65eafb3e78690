"""Per-field rules: how each OS2autoproces field lands in a ``ProcessRow`` (see ``mapping``)."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from reusegraph.federation.os2autoproces.records import (
    CatalogRef,
    LinkRef,
    MappedProcess,
    Problem,
    ProcessRow,
)
from reusegraph.federation.os2autoproces.report import Outcome
from reusegraph.federation.os2autoproces.richtext import plain_text
from reusegraph.federation.os2autoproces.vocabulary import LEVEL_FIELDS
from reusegraph.store.enums import Domain, Level, Phase, ProcessType, RunPeriod, Status, Visibility
from reusegraph.store.models.processes import FORM_PATTERN, KLA_PATTERN, KLE_PATTERN

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MAX_NUMERIC = Decimal("99999999.99")  # Numeric(10, 2)
MAX_INT = 2**31 - 1

IGNORED_FIELDS: dict[str, str] = {
    "_links": "HAL navigation, not data",
    "canEdit": "about the caller, not the process",
    "canEditOtherContact": "about the caller, not the process",
    "hasBookmarked": "about the caller, not the process",
    "emailNotification": "about the caller, not the process",
    "hasAttachments": "search-list flag; attachments themselves are not in the API body",
    "searchWord": "search-list hit, not data",
    "searchMatch": "search-list hit, not data",
    "base64Logo": "the municipality's logo, not the process",
    "inhabitants": "the municipality's size band, not the process",
    "employees": "the municipality's size band, not the process",
    "klaProcess": "derived from kla",
    "childrenCount": "derived from children",
    "timeSpendComputedTotal": "derived; expectedHoursPerYear is computed from the inputs",
    "manualHoursPerYear": "derived (Excel column 31: runs per year x minutes / 60)",
}
EXTRAS_FIELDS = ("itSystemsDescription", "services", "seenByCount", "parents", "attachments")


@dataclass
class Builder:
    """The record being built; handlers write the row and say what happened to their field."""

    record: MappedProcess
    extras: dict[str, Any]

    @property
    def row(self) -> ProcessRow:
        return self.record.row

    def set(self, column: str, value: Any) -> Outcome:
        self.row[column] = value  # type: ignore[literal-required]
        return Outcome.MAPPED

    def invalid(self, field: str, value: Any, message: str) -> Outcome:
        self.record.problems.append(Problem(self.row["source_id"], field, value, message))
        self.extras.setdefault("invalid", {})[field] = json_safe(value)
        return Outcome.INVALID


Handler = Callable[[Builder, str, Any], Outcome]


def json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def text(column: str, max_length: int | None = None, *, rich: bool = False) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if not isinstance(value, str):
            return b.invalid(field, value, "expected text")
        cleaned = plain_text(value) if rich else value.strip()
        if not cleaned:
            return Outcome.EMPTY
        if max_length is not None and len(cleaned) > max_length:
            return b.invalid(field, value, f"longer than {max_length} characters")
        return b.set(column, cleaned)

    return handle


def pattern(column: str, regex: str, example: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if not isinstance(value, str) or not re.match(regex, value.strip()):
            return b.invalid(field, value, f"expected a code like {example}")
        return b.set(column, value.strip())

    return handle


def choice(column: str, enum: type[StrEnum]) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if value not in {member.value for member in enum}:
            allowed = ", ".join(member.value for member in enum)
            return b.invalid(field, value, f"not a {enum.__name__}; allowed: {allowed}")
        return b.set(column, str(value))

    return handle


def domains(b: Builder, field: str, value: Any) -> Outcome:
    if not isinstance(value, list):
        return b.invalid(field, value, "expected a list of domains")
    known = {member.value for member in Domain}
    good = list(dict.fromkeys(v for v in value if v in known))
    b.set("domains", good)
    bad = [v for v in value if v not in known]
    if bad:
        return b.invalid(field, bad, f"not a Domain; allowed: {', '.join(sorted(known))}")
    return Outcome.MAPPED


def whole(column: str, low: int, high: int = MAX_INT) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return b.invalid(field, value, "expected a whole number")
        if isinstance(value, float) and not value.is_integer():
            return b.invalid(field, value, "expected a whole number")
        if not low <= value <= high:
            return b.invalid(field, value, f"must be {low} to {high}")
        return b.set(column, int(value))

    return handle


def amount(column: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            number = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            return b.invalid(field, value, "expected a number")
        if not Decimal(0) <= number <= MAX_NUMERIC:
            return b.invalid(field, value, f"must be 0 to {MAX_NUMERIC}")
        return b.set(column, number)

    return handle


def flag(column: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if not isinstance(value, bool):
            return b.invalid(field, value, "expected true or false")
        return b.set(column, value)

    return handle


def moment_of(value: Any) -> datetime | None:
    """API: ISO-8601 with offset. Excel: naive wall-clock time of the Copenhagen server."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=COPENHAGEN)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=COPENHAGEN)
    return None


def moment(column: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        parsed = moment_of(value)
        if parsed is None:
            return b.invalid(field, value, "expected an ISO-8601 date-time")
        return b.set(column, parsed)

    return handle


def day(column: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if isinstance(value, date) and not isinstance(value, datetime):
            return b.set(column, value)
        parsed = moment_of(value)
        if parsed is None:
            return b.invalid(field, value, "expected a date")
        return b.set(column, parsed.astimezone(COPENHAGEN).date())

    return handle


def _name(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return str(value["name"]).strip() or None
    return None


def person(column: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        name = _name(value)
        if name is None:
            return b.invalid(field, value, "expected a user with a name")
        return b.set(column, name)

    return handle


def _names(b: Builder, field: str, value: Any) -> list[str] | None:
    if not isinstance(value, list) or any(_name(v) is None for v in value):
        b.invalid(field, value, "expected a list of objects with a name")
        return None
    return list(dict.fromkeys(name for v in value if (name := _name(v))))


def co_editors(b: Builder, field: str, value: Any) -> Outcome:
    names = _names(b, field, value)
    return Outcome.INVALID if names is None else b.set("co_editors", names)


def department(b: Builder, field: str, value: Any) -> Outcome:
    names = _names(b, field, value)
    if names is None:
        return Outcome.INVALID
    joined = ", ".join(names)
    if len(joined) > 255:
        return b.invalid(field, value, "departments longer than 255 characters together")
    return b.set("department", joined)


def contact(b: Builder, field: str, value: Any) -> Outcome:
    if not isinstance(value, Mapping):
        return b.invalid(field, value, "expected a user with a name and an e-mail")
    name, email = value.get("name"), value.get("email")
    b.set("contact_name", name.strip() if isinstance(name, str) and name.strip() else None)
    b.set("contact_email", email.strip() if isinstance(email, str) and email.strip() else None)
    return Outcome.MAPPED


def catalog(kind: str) -> Handler:
    def handle(b: Builder, field: str, value: Any) -> Outcome:
        if not isinstance(value, list) or any(_name(v) is None for v in value):
            return b.invalid(field, value, "expected a list of objects with a name")
        refs: dict[str, CatalogRef] = {}
        for v in value:
            ref = CatalogRef.named(str(_name(v)), v.get("vendor") or None)
            if not ref.code:
                return b.invalid(field, value, f"{ref.name!r} has no letter or digit to key it by")
            refs.setdefault(ref.code, ref)
        setattr(b.record, kind, list(refs.values()))
        # Our catalog may call the entry otherwise ("OCR" -> "OCR (tekstgenkendelse)"): the
        # source's own names stay beside the mapping, under the source's field name.
        b.extras.setdefault("sourceLabels", {})[field] = [ref.name for ref in refs.values()]
        return Outcome.MAPPED

    return handle


def links(b: Builder, field: str, value: Any) -> Outcome:
    if not isinstance(value, list) or not all(
        isinstance(v, Mapping) and isinstance(v.get("url"), str) for v in value
    ):
        return b.invalid(field, value, "expected a list of {url, internal}")
    b.record.links = [LinkRef(v["url"].strip(), bool(v.get("internal"))) for v in value]
    return Outcome.MAPPED


def _ids(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    ids = [v.get("id") if isinstance(v, Mapping) else v for v in value]
    if not all(isinstance(i, int | str) and not isinstance(i, bool) for i in ids):
        return None
    return [str(i) for i in ids]


def children(b: Builder, field: str, value: Any) -> Outcome:
    ids = _ids(value)
    if ids is None:
        return b.invalid(field, value, "expected a list of processes with an id")
    b.record.umbrella_children = ids
    return Outcome.MAPPED


def vendor(b: Builder, field: str, value: Any) -> Outcome:
    if not isinstance(value, str):
        return b.invalid(field, value, "expected text")
    b.record.vendor_name = value.strip() or None
    return Outcome.MAPPED if b.record.vendor_name else Outcome.EMPTY


def extra(b: Builder, field: str, value: Any) -> Outcome:
    if field == "parents":
        value = _ids(value) or value
    elif field == "services" and isinstance(value, list):
        value = [_name(v) or v for v in value]
    b.extras[field] = json_safe(value)
    return Outcome.EXTRAS


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


OWNER_FIELDS = ("cvr", "municipalityName")
"""Resolved together to ``municipality_code`` once the whole item is read (see ``mapping``)."""

FIELDS: dict[str, Handler] = {
    "title": text("title", 255),
    "shortDescription": text("summary", 1000, rich=True),
    "longDescription": text("description", rich=True),
    "processChallenges": text("process_challenges", rich=True),
    "solutionRequests": text("solution_requests", rich=True),
    "automationDescription": text("automation_description", rich=True),
    "technicalImplementationNotes": text("technical_implementation_notes", rich=True),
    "organizationalImplementationNotes": text("organizational_implementation_notes", rich=True),
    "internalNotes": text("internal_notes", rich=True),
    "ratingComment": text("rating_comment", rich=True),
    "statusText": text("status_text"),
    "timeSpendComment": text("time_spend_comment"),
    "searchWords": text("search_words", 1000),
    "legalClause": text("legal_clause", 3000),
    "klId": text("kl_id", 64),
    "esdhReference": text("esdh_reference", 300),
    "codeRepositoryUrl": text("code_repository_url", 1024),
    "otherContactEmail": text("other_contact_email", 255),
    "kle": pattern("kle", KLE_PATTERN, "27.24.00"),
    "form": pattern("form", FORM_PATTERN, "26.15.15.05"),
    "kla": pattern("kla", KLA_PATTERN, "10.88.11"),
    "sepMep": flag("sep_mep"),
    "targetsCitizens": flag("targets_citizens"),
    "targetsCompanies": flag("targets_companies"),
    "phase": choice("phase", Phase),
    "status": choice("status", Status),
    "visibility": choice("visibility", Visibility),
    "type": choice("type", ProcessType),
    "runPeriod": choice("run_period", RunPeriod),
    "domains": domains,
    "timeSpendOccurancesPerEmployee": whole("runs_per_year", 0),
    "timeSpendEmployeesDoingProcess": whole("employees_doing_process", 0),
    "timeSpendPercentageDigital": whole("automation_percentage", 0, 100),
    "rating": whole("rating", 0, 3),
    "timeSpendPerOccurance": amount("minutes_per_run"),
    "expectedDevelopmentTime": amount("development_hours"),
    "created": moment("created_at"),
    "lastChanged": moment("updated_at"),
    "legalClauseLastVerified": day("legal_clause_last_verified"),
    "putIntoOperation": day("put_into_operation"),
    "decommissioned": day("decommissioned"),
    "reporter": person("reporter"),
    "owner": person("owner"),
    "users": co_editors,
    "orgUnits": department,
    "contact": contact,
    "itSystems": catalog("it_systems"),
    "technologies": catalog("technologies"),
    "links": links,
    "children": children,
    "vendor": vendor,
    **{name: extra for name in EXTRAS_FIELDS},
    **{name: choice(snake(name), Level) for name in LEVEL_FIELDS},
}
