"""What an import did, or with ``--dry-run`` would do, in words for the person who ran it.

The changes go to standard output (so they can be saved or compared), the bad rows to
standard error, each naming its row, column and value and what would be allowed there.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

VERBS = {  # action -> (dry run, done)
    "create": ("would create", "created"),
    "update": ("would update", "updated"),
    "delete": ("would delete", "deleted"),
}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    KEEP = "keep"
    """The stored copy is newer than the row (by updatedAt): kept as it is."""


@dataclass(frozen=True)
class RowError:
    row: str
    """"row 7" or "item 3"."""
    column: str
    """The column as the file names it (or as our export would, if the file has none)."""
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "" if self.value in (None, "") else f" = {_short(self.value)}"
        return f'{self.row}, column "{self.column}"{shown}: {self.message}'


@dataclass(frozen=True)
class Change:
    action: Action
    source: str
    source_id: str
    title: str
    row: str | None = None
    fields: tuple[str, ...] = ()
    """For an update: what changed."""


@dataclass
class SourceTally:
    code: str
    owners: list[str]
    new: bool = False
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept: int = 0
    not_in_file: int = 0
    """Stored records the file lacks; deleted only with ``--complete``."""


@dataclass
class ImportReport:
    file: str
    format: str
    dry_run: bool = False
    atomic: bool = False
    complete: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    sources: dict[str, SourceTally] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    skipped_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    """Owners registered from the official municipality lists by this import ("code name")."""
    written: bool = False

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})

    @property
    def exit_code(self) -> int:
        """0 when every row was good; 1 when a row was bad (written or not)."""
        return 1 if self.errors else 0

    def summary(self) -> list[str]:
        lines = [f"{self.file}: {self.format.upper()}, {self.rows} rows, {self.bad_rows} bad."]
        for tally in self.sources.values():
            lines.append(self._tally_line(tally))
        if self.dry_run:
            for change in self.changes:
                lines.append(_change_line(change))
        for tally in self.sources.values():
            if tally.not_in_file and not self.complete:
                lines.append(
                    f"{tally.code}: {tally.not_in_file} stored records are not in the file;"
                    " they are deleted only with --complete."
                )
        if self.skipped_columns:
            lines.append(f"Not imported (derived): {', '.join(self.skipped_columns)}.")
        if self.unknown_columns:
            lines.append(f"Unknown columns, ignored: {', '.join(self.unknown_columns)}.")
        if self.registered:
            verb = "Would register" if self.dry_run else "Registered"
            lines.append(
                f"{verb} from the official municipality lists: {', '.join(self.registered)}."
            )
        lines.extend(self.notes)
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        elif not self.written:
            lines.append("Nothing was written.")
        return lines

    def problems(self) -> list[str]:
        if not self.errors:
            return []
        lines = [f"{self.bad_rows} bad rows, not imported:"]
        lines.extend(f"  {error}" for error in self.errors)
        if self.atomic:
            lines.append(
                "--atomic: nothing "
                + ("would be" if self.dry_run else "was")
                + " written, because the file has bad rows."
            )
        return lines

    def _tally_line(self, tally: SourceTally) -> str:
        done = 0 if self.dry_run else 1
        new = f" (new file source of {', '.join(tally.owners)})" if tally.new else ""
        counts = ", ".join(
            f"{VERBS[action][done]} {getattr(tally, VERBS[action][1])}"
            for action in ("create", "update", "delete")
        )
        kept = f", {tally.kept} kept (stored copy newer)" if tally.kept else ""
        return f"{tally.code}{new}: {counts}; {tally.unchanged} unchanged{kept}."


def _change_line(change: Change) -> str:
    where = change.row or "-"
    line = f"  {change.action.value:<6}  {change.source}  {where:<9}  {change.source_id}"
    line += f"  {change.title}"
    if change.fields:
        line += f"  [{', '.join(change.fields)}]"
    if change.action is Action.DELETE:
        line += "  (not in the file; --complete)"
    if change.action is Action.KEEP:
        line += "  (the stored copy is newer than the row's updatedAt)"
    return line


def _short(value: Any, limit: int = 80) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
