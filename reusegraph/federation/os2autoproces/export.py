"""Read OS2autoproces's Excel export (``GET /api/excel``: sheet "Processer", 62 columns).

The workbook is read in openpyxl's read-only (streaming) mode, one row at a time, so a
large export does not sit in memory. Each row is turned back into the API's shape (labels
to enum keys, joined cells to lists, ``Ja``/``Nej`` to booleans) and then mapped exactly
like an API item. What the export cannot carry is said in the report's notes: no process
type (rows are read as CHILD), no CVR (owners are found by name), no umbrella relations.
Its known defects are undone: columns 45 and 46 hold each other's values, and the header of
column 46 ends with a space.
"""

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from openpyxl.utils.datetime import from_excel  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from reusegraph.federation.os2autoproces.errors import SourceFormatError
from reusegraph.federation.os2autoproces.mapping import map_process
from reusegraph.federation.os2autoproces.municipalities import MunicipalityDirectory
from reusegraph.federation.os2autoproces.records import MappedProcess
from reusegraph.federation.os2autoproces.report import MappingReport
from reusegraph.federation.os2autoproces.vocabulary import (
    DETAILS_URL,
    DOMAIN_LABELS,
    EXPORT_COLUMNS,
    LEVEL_FIELDS,
    LEVEL_LABELS,
    PHASE_LABELS,
    RUN_PERIOD_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
)

SHEET = "Processer"
NOTES = (
    "the Excel export has no process type: every row is read as CHILD",
    "the Excel export has no CVR: owners are found by municipality name",
    "the Excel export has no umbrella relations, users' ids or link 'internal' flags",
    "Excel columns 45 and 46 hold each other's values; they are read swapped back",
)
_LABELS: dict[str, dict[str, Any]] = {
    "phase": dict(PHASE_LABELS),
    "status": dict(STATUS_LABELS),
    "visibility": dict(VISIBILITY_LABELS),
    "runPeriod": dict(RUN_PERIOD_LABELS),
    **{name: dict(LEVEL_LABELS) for name in LEVEL_FIELDS},
}
_COMMA_LISTS = ("orgUnits", "itSystems", "technologies", "services")
_DAYS = ("legalClauseLastVerified", "putIntoOperation", "decommissioned", "created", "lastChanged")


def _split(value: Any, separator: str) -> list[str]:
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(separator) if part.strip()]


def _moment(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_excel(value)
    return None if value == "" else value


def _yes_no(value: Any) -> Any:
    return {"Ja": True, "Nej": False}.get(value, value) if isinstance(value, str) else value


def _item(cells: dict[str, Any]) -> dict[str, Any]:
    """One worksheet row (by API field name) -> an API-shaped item."""
    item: dict[str, Any] = {}
    for field, raw in cells.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if field == "runPeriod" and value is None:
            value = ""  # NOT_CHOSEN_YET is written as an empty cell
        if field in _LABELS:
            item[field] = _LABELS[field].get(value, value) if isinstance(value, str) else value
        elif field == "domains":
            item[field] = [DOMAIN_LABELS.get(label, label) for label in _split(value, ",")]
        elif field in ("reporter", "owner"):
            item[field] = {"name": value} if value else None
        elif field == "users":
            item[field] = [{"name": name} for name in _split(value, "\n")]
        elif field in _COMMA_LISTS:
            item[field] = [{"name": name} for name in _split(value, ",")]
        elif field in ("targetsCitizens", "targetsCompanies"):
            item[field] = _yes_no(value)
        elif field in _DAYS:
            item[field] = _moment(value)
        elif field == "links":
            lines = _split(value, "\n")
            item[field] = [
                {"url": url, "internal": False} for url in lines if "/details/" not in url
            ]
        elif field == "attachments":
            item[field] = _split(value, "\n")
        elif field.startswith("contact."):
            item.setdefault("contact", {})[field.removeprefix("contact.")] = value
        else:
            item[field] = value
    return item


def _columns(header: tuple[Any, ...], path: Path) -> list[str | None]:
    """API field name per column position, checked against the 62 known headers."""
    expected = {title.strip(): field for title, field in EXPORT_COLUMNS}
    found = [str(h).strip() if h is not None else "" for h in header]
    missing = [title for title in expected if title not in found]
    if missing:
        raise SourceFormatError(
            f"{path.name} is not an OS2autoproces export: sheet {SHEET!r} lacks the column(s) "
            f"{', '.join(repr(m) for m in missing)} (expected the 62 columns of /api/excel)"
        )
    return [expected.get(title) for title in found]


def read_export(
    path: Path,
    *,
    directory: MunicipalityDirectory | None = None,
    report: MappingReport | None = None,
    details_url: str = DETAILS_URL,
) -> Iterator[MappedProcess]:
    """Map every row of ``processes.xlsx``; fails early (before any row) on a wrong file."""
    directory = directory or MunicipalityDirectory()
    report = report if report is not None else MappingReport()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceFormatError(f"{path.name} is not a readable xlsx workbook: {exc}") from exc
    try:
        if SHEET not in workbook.sheetnames:
            raise SourceFormatError(
                f"{path.name} has no sheet {SHEET!r} (found {workbook.sheetnames}); "
                "expected the workbook OS2autoproces's /api/excel returns"
            )
        rows = workbook[SHEET].iter_rows(values_only=True)
        columns = _columns(next(rows, ()), path)
        for text in NOTES:
            report.note(text)
        for values in rows:
            if all(v is None or v == "" for v in values):
                continue
            cells = {f: v for f, v in zip(columns, values, strict=False) if f is not None}
            yield map_process(
                _item(cells), directory=directory, details_url=details_url, report=report
            )
    finally:
        workbook.close()
