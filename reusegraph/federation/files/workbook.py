"""OS2autoproces's Excel export as import rows: its adapter maps each row to a record.

The workbook (``GET /api/excel``, sheet "Processer", 62 columns) is recognised by its
header row; anything else is refused before a row is read. Owners are found by
municipality name (the export has no CVR): the 98 municipalities OS2autoproces knows,
and the Danish regions of the official list. A row whose owner is in neither, or whose
values the adapter cannot map, becomes a bad row whose message names the value.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path

from reusegraph.federation.files.reading import FileUnreadable, RawRow
from reusegraph.federation.os2autoproces.errors import SourceFormatError
from reusegraph.federation.os2autoproces.export import NOTES, read_export
from reusegraph.federation.os2autoproces.records import MappedProcess, Problem
from reusegraph.federation.os2autoproces.report import MappingReport
from reusegraph.federation.os2autoproces.vocabulary import EXPORT_COLUMNS
from reusegraph.federation.os2autoproces_source import mirror_record, owner_directory

__all__ = ["NOTES", "export_rows"]


def export_rows(
    path: Path, report: MappingReport | None = None, registered: Mapping[str, str] | None = None
) -> Iterator[RawRow]:
    """Rows numbered as Excel shows them (the header is row 1); raises ``FileUnreadable``
    before the first row for a workbook that is not the export. ``registered``: code ->
    name of the municipalities registered here, owners too."""
    mapped = read_export(path, directory=owner_directory(registered), report=report)
    try:
        first = next(mapped, None)
    except SourceFormatError as error:
        raise FileUnreadable(str(error)) from None
    return _rows(first, mapped)


def _rows(first: MappedProcess | None, rest: Iterator[MappedProcess]) -> Iterator[RawRow]:
    if first is None:
        return
    yield _row(2, first)
    for number, item in enumerate(rest, start=3):
        yield _row(number, item)


def _row(number: int, item: MappedProcess) -> RawRow:
    label = f"row {number}"
    if not item.storable:
        return RawRow(label, {}, "; ".join(_problem(p) for p in item.problems))
    return RawRow(label, {}, record=mirror_record(item))


_TITLES = {name: title.strip() for title, name in EXPORT_COLUMNS}


def _problem(problem: Problem) -> str:
    column = _TITLES.get(problem.field, problem.field)
    return f'column "{column}" = {problem.value!r}: {problem.message}'
