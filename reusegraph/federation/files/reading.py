"""Reading an import file, CSV, JSON or OS2autoproces's Excel export, one row at a time,
numbered as a person sees it.

CSV is UTF-8 (a BOM is skipped) with the header in the first row, separated by commas or,
as Danish Excel saves it, semicolons. Rows are numbered as a spreadsheet shows them (the
header is row 1), however many lines a cell spans, because a person fixes a bad row in a
spreadsheet, not in a text editor. JSON is an array of objects, numbered from 1. An xlsx
workbook is read only as OS2autoproces's 62-column export (recognised by its header row):
its adapter maps each row to a record, so those rows arrive here already mapped.
"""

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from reusegraph.store.mirror_records import MirrorRecord


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


class FileUnreadable(Exception):
    """The file as a whole cannot be read; the message says why and what would work."""


@dataclass(frozen=True)
class RawRow:
    label: str
    """"row 7" (CSV, as a spreadsheet numbers it) or "item 3" (JSON, from 1)."""
    cells: dict[str, Any]
    """The file's column name -> its value (text for CSV, any JSON value for JSON)."""
    problem: str | None = None
    """Why the row as a whole cannot be read (a JSON item that is not an object, ...)."""
    record: MirrorRecord | None = None
    """The row already mapped (an OS2autoproces export's row); ``cells`` are then empty."""


def detect(path: Path, given: FileFormat | None = None) -> FileFormat:
    """By ``given``, else the extension, else the first character ("[" is JSON)."""
    if given is not None:
        return given
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "xls":
        raise FileUnreadable(
            f"{path.name} is an old-style Excel file; save its sheet as 'CSV UTF-8' and import"
            " that (OS2autoproces's own export, processes.xlsx, is imported as it is)"
        )
    if suffix in (f.value for f in FileFormat):
        return FileFormat(suffix)
    try:
        with path.open("rb") as handle:
            start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as error:
        raise FileUnreadable(f"cannot open {path}: {error.strerror or error}") from None
    if start[:4] == b"PK\x03\x04":
        return FileFormat.XLSX
    return FileFormat.JSON if start[:1] in (b"[", b"{") else FileFormat.CSV


def read_rows(
    path: Path, format: FileFormat, registered: Mapping[str, str] | None = None
) -> Iterator[RawRow]:
    """Every row of the file; raises ``FileUnreadable`` before the first row if it cannot.
    ``registered`` (code -> name) lets the Excel export's owners be found by name."""
    if format is FileFormat.JSON:
        return _json_rows(path)
    if format is FileFormat.XLSX:
        from reusegraph.federation.files.workbook import export_rows

        return export_rows(path, registered=registered)
    return _csv_rows(path)


def _json_rows(path: Path) -> Iterator[RawRow]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as error:
        raise FileUnreadable(f"cannot read {path}: {error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise FileUnreadable(
            f"{path.name} is not valid JSON ({error}); expected an array of objects"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("processes"), list):
        data = data["processes"]
    if not isinstance(data, list):
        raise FileUnreadable(
            f"{path.name} holds a JSON {type(data).__name__}; expected an array of objects,"
            ' one per process (or {"processes": [...]})'
        )
    return _items(data)


def _items(data: list[Any]) -> Iterator[RawRow]:
    for index, item in enumerate(data, start=1):
        if isinstance(item, dict):
            yield RawRow(f"item {index}", item)
        else:
            problem = f"is a JSON {type(item).__name__}, not an object"
            yield RawRow(f"item {index}", {}, problem)


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _csv_rows(path: Path) -> Iterator[RawRow]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise FileUnreadable(f"cannot open {path}: {error.strerror or error}") from None
    try:
        first = handle.readline()
    except UnicodeDecodeError:
        handle.close()
        raise FileUnreadable(_NOT_UTF8.format(name=path.name)) from None
    if not first.strip():
        handle.close()
        raise FileUnreadable(f"{path.name} is empty; expected a header row, then one row each")
    handle.seek(0)
    return _csv_records(handle, path, _delimiter(first))


_NOT_UTF8 = "{name} is not UTF-8 text; save it as 'CSV UTF-8' (the export's own encoding)"


def _csv_records(handle: Any, path: Path, delimiter: str) -> Iterator[RawRow]:
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                extra = [c for c in cells[len(header) :] if c.strip()]
                problem = (
                    f"has {len(cells)} cells but the header has {len(header)} columns"
                    if extra
                    else None
                )
                values = dict(zip(header, cells, strict=False))
                yield RawRow(f"row {number}", values, problem)
        except UnicodeDecodeError:
            raise FileUnreadable(_NOT_UTF8.format(name=path.name)) from None
        except csv.Error as error:
            raise FileUnreadable(f"{path.name} is not readable CSV: {error}") from None
