"""The first pass of an import: every row checked, and what only the whole file tells.

An ID may appear once per source; a source this import registers is owned by the
municipalities of its good rows; ``--complete`` deletes only what no row of the file
names, bad rows included. The second pass (``good_pages``) reads the file again and hands the
good rows on in pages, checked the same way.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from reusegraph.federation.files.fields import unrecognised
from reusegraph.federation.files.reading import RawRow
from reusegraph.federation.files.report import ImportReport, RowError
from reusegraph.federation.files.rows import CheckedRow, RowChecker

Progress = Callable[[str, int, int | None], None]
"""(stage "reading" or "writing", rows done, rows in all or None while unknown)."""


@dataclass
class Survey:
    good: int = 0
    bad: set[str] = field(default_factory=set)
    keys: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    """Source -> the IDs its rows have (good or bad) -> the row that has it."""
    owners: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Source -> the municipalities of its good rows (the owners of a new source)."""
    scope: set[str] = field(default_factory=set)
    floating: set[str] = field(default_factory=set)
    """IDs of bad rows whose source is unknown: kept in whichever source holds them."""
    unplaced: str | None = None
    """A bad row without an ID: a complete file's deletions would be a guess."""


def survey_rows(
    checker: RowChecker,
    rows: Iterable[RawRow],
    report: ImportReport,
    source: str | None,
    municipality: str | None,
    progress: Progress,
) -> Survey:
    found = Survey()
    names: dict[str, None] = {}
    for raw in rows:
        report.rows += 1
        names.update(dict.fromkeys(raw.cells))
        checked = checker.check(raw)
        if checked.source is not None and checked.key is not None:
            first = found.keys[checked.source].setdefault(checked.key, checked.label)
            if first != checked.label:
                checked.problems.append(
                    RowError(
                        checked.label,
                        checked.key_column,
                        checked.key,
                        f"the same ID as {first}; a record may appear once in a file",
                    )
                )
        if checked.source is not None:
            found.scope.add(checked.source)
        if checked.problems:
            found.bad.add(checked.label)
            report.errors.extend(checked.problems)
            if checked.key is None:
                found.unplaced = found.unplaced or checked.label
            elif checked.source is None:
                found.floating.add(checked.key)
        else:
            found.good += 1
            found.owners[str(checked.source)].add(str(checked.municipality))
        if report.rows % 500 == 0:
            progress("reading", report.rows, None)
    progress("reading", report.rows, report.rows)
    if source is not None:
        found.scope.add(source)
    elif municipality is not None:
        found.scope.add(checker.target(municipality))
    report.unknown_columns, report.skipped_columns = unrecognised(list(names))
    return found


def good_pages(
    checker: RowChecker, rows: Iterable[RawRow], bad: set[str], size: int
) -> Iterator[list[CheckedRow]]:
    page: list[CheckedRow] = []
    for raw in rows:
        if raw.label in bad:
            continue
        page.append(checker.check(raw))
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page
