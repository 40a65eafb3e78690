"""One OS2autoproces process (API field names, either format) -> ``MappedProcess``.

Both readers hand over a dict shaped like the API's ``projection=extended`` item; the
Excel reader first turns labels back into enum keys and joined cells back into lists. Each
field then has exactly one fate, counted in the ``MappingReport``:

* a column or related table (``FIELDS`` below), enum values verbatim;
* ``extras`` under its OS2autoproces name when our model has no place for it:
  ``itSystemsDescription`` (other systems, free text), ``services`` (names of the systems
  and interfaces the robot uses), ``seenByCount``, ``parents`` (ids of the umbrellas
  above it), ``attachments`` (file names, Excel only), and any field this module does not
  know yet (a newer OS2autoproces), so an upgrade there loses nothing here;
* derived or ignored, for the fields in ``IGNORED_FIELDS`` (each with its reason): derived
  ones OS2autoproces computes from fields that are kept, ignored ones are about the caller;
* invalid: the value breaks a rule of our model; a ``Problem`` names field and value, and
  the raw value is kept in ``extras["invalid"]``.

Rich text becomes plain text (``richtext.plain_text``). Dates without a time of day are
sent as UTC midnights of Copenhagen dates, so they are converted there before the date is
taken. Regions have no municipality code until a ``MunicipalityDirectory`` is told theirs.
"""

from collections.abc import Mapping
from typing import Any, cast

from reusegraph.federation.os2autoproces.fields import (
    FIELDS,
    IGNORED_FIELDS,
    OWNER_FIELDS,
    Builder,
    is_empty,
    json_safe,
    snake,
)
from reusegraph.federation.os2autoproces.municipalities import MunicipalityDirectory
from reusegraph.federation.os2autoproces.records import MappedProcess, Problem, ProcessRow
from reusegraph.federation.os2autoproces.report import MappingReport, Outcome
from reusegraph.federation.os2autoproces.vocabulary import LEVEL_FIELDS
from reusegraph.store.enums import Level, ProcessType

_DEFAULTS: dict[str, Any] = {
    "sep_mep": False,
    "type": ProcessType.CHILD.value,
    **{snake(name): Level.NOT_SET.value for name in LEVEL_FIELDS},
}
_LISTS = ("domains", "k_codes", "co_editors")

# Without these a row cannot be stored; the problem is reported on the OS2autoproces field.
_REQUIRED_FROM = {
    "municipality_code": "cvr",
    "title": "title",
    "phase": "phase",
    "visibility": "visibility",
    "source_id": "id",
}


def _source_id(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():  # Excel writes every number as a double
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        return None
    return str(value).strip()


def _empty_row(source_id: str | None, source_url: str | None) -> ProcessRow:
    row: dict[str, Any] = dict.fromkeys(ProcessRow.__annotations__)
    row.update(_DEFAULTS)
    row.update({column: [] for column in _LISTS})
    row.update(source_id=source_id, source_url=source_url, extras={})
    return cast(ProcessRow, row)


def map_process(
    item: Mapping[str, Any],
    *,
    directory: MunicipalityDirectory,
    details_url: str,
    report: MappingReport,
) -> MappedProcess:
    """``details_url`` is a template with ``{id}``: the process's page at its source."""
    source_id = _source_id(item.get("id"))
    url = details_url.format(id=source_id) if source_id is not None else None
    builder = Builder(MappedProcess(row=_empty_row(source_id, url)), extras={})
    for field, value in item.items():
        if field == "id":
            outcome = (
                Outcome.MAPPED
                if source_id is not None
                else builder.invalid("id", value, "expected the process's numeric id")
            )
        elif field in OWNER_FIELDS:
            continue  # counted by _resolve_owner
        elif field in IGNORED_FIELDS:
            derived = IGNORED_FIELDS[field].startswith("derived")
            outcome = Outcome.DERIVED if derived else Outcome.IGNORED
        elif is_empty(value):
            outcome = Outcome.EMPTY
        elif field in FIELDS:
            outcome = FIELDS[field](builder, field, value)
        else:
            builder.extras[field] = json_safe(value)
            report.note(f"field {field!r} is not known to this adapter; kept in extras")
            outcome = Outcome.EXTRAS
        report.count(field, outcome)

    _resolve_owner(builder, item, directory, report)
    row = builder.row
    problems = builder.record.problems
    for column, field in _REQUIRED_FROM.items():
        missing = row[column] is None  # type: ignore[literal-required]
        said = set(OWNER_FIELDS) if column == "municipality_code" else {field}
        if missing and not any(p.field in said for p in problems):
            problems.append(Problem(source_id, field, item.get(field), "required; not stored"))
    row["extras"] = builder.extras
    report.add(builder.record)
    return builder.record


def _resolve_owner(
    builder: Builder,
    item: Mapping[str, Any],
    directory: MunicipalityDirectory,
    report: MappingReport,
) -> None:
    cvr, name = item.get("cvr"), item.get("municipalityName")
    code = directory.code_for(
        cvr if isinstance(cvr, str) else None, name if isinstance(name, str) else None
    )
    builder.row["municipality_code"] = code
    present = [field for field in OWNER_FIELDS if field in item]
    for field in present:
        empty = is_empty(item[field])
        report.count(field, Outcome.EMPTY if empty else Outcome.MAPPED if code else Outcome.INVALID)
    if code is None and not (is_empty(cvr) and is_empty(name)):
        field, value = ("cvr", cvr) if not is_empty(cvr) else ("municipalityName", name)
        builder.invalid(
            field,
            value,
            f"no municipality code is known for CVR {cvr!r} / name {name!r}: neither is in"
            " the official lists of Danish municipalities and regions"
            " (reusegraph/store/reference) nor registered here, so this owner's processes are"
            " not stored; an admin registers it (`reusegraph municipality add DK-<number>"
            " --name NAME --org-number CVR`), then it is found",
        )
