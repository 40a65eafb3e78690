"""What an import did with every OS2autoproces field, so nothing disappears unnoticed."""

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from reusegraph.federation.os2autoproces.records import MappedProcess, Problem


class Outcome(StrEnum):
    MAPPED = "mapped"
    """Stored in a column or a related table."""
    EXTRAS = "extras"
    """No place in our model: kept under ``Process.extras`` with its OS2autoproces name."""
    DERIVED = "derived"
    """Computed by OS2autoproces from fields that are kept: nothing of it is lost."""
    IGNORED = "ignored"
    """About the caller or the listing, not the process (see ``IGNORED_FIELDS``)."""
    INVALID = "invalid"
    """Rejected value: a ``Problem`` says why, the raw value is kept in ``extras["invalid"]``."""
    EMPTY = "empty"
    """Null, blank or an empty list."""


@dataclass
class MappingReport:
    records: int = 0
    storable: int = 0
    fields: dict[str, Counter[Outcome]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[tuple[str | None, str]] = field(default_factory=list)
    """(source id, why) of the records that cannot be stored: not imported."""

    def count(self, source_field: str, outcome: Outcome) -> None:
        self.fields.setdefault(source_field, Counter())[outcome] += 1

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add(self, record: MappedProcess) -> None:
        self.records += 1
        self.storable += record.storable
        self.problems.extend(record.problems)
        if not record.storable:
            why = "; ".join(f"{p.field} {p.value!r}: {p.message}" for p in record.problems)
            self.dropped.append((record.source_id, why or "required fields are missing"))

    def counts(self, source_field: str) -> dict[str, int]:
        found = self.fields.get(source_field, Counter())
        return {outcome.value: found[outcome] for outcome in Outcome if found[outcome]}

    def summary(self) -> str:
        """Readable by a municipal IT person: one line per field, then every problem."""
        lines = [
            f"{self.records} processes read, {self.storable} can be stored,"
            f" {len(self.dropped)} dropped"
        ]
        for name in sorted(self.fields):
            parts = ", ".join(f"{n} {o}" for o, n in self.counts(name).items())
            lines.append(f"  {name}: {parts}")
        lines.extend(f"dropped: process {i or '(no id)'}: {why}" for i, why in self.dropped)
        lines.extend(f"note: {text}" for text in self.notes)
        lines.extend(
            f"process {p.source_id}: {p.field} = {p.value!r}: {p.message}" for p in self.problems
        )
        return "\n".join(lines)
