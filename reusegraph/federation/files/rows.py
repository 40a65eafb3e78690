"""One file row checked against the directory and the options: a record for a source, or
every problem the row has.

The same checks run in both passes of an import (survey, then write), so a row is
judged the same way twice; only what needs the whole file (duplicate ids, the owners of
a source this import creates) is decided in the survey and remembered.
"""

import hashlib
import re
from dataclasses import dataclass, field

from reusegraph.federation.files.fields import ParsedRow, check_target, column_name, parse_row
from reusegraph.federation.files.reading import RawRow
from reusegraph.federation.files.report import RowError
from reusegraph.store.enums import SourceKind
from reusegraph.store.file_imports import Directory
from reusegraph.store.mirror_records import MirrorRecord, check, mirror_id
from reusegraph.store.official_municipalities import official, official_by_name

SOURCE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ImportRefused(Exception):
    """The import as a whole cannot go ahead (options, or a source of the wrong kind)."""


def default_source(municipality: str) -> str:
    """Without ``--source``, each municipality's rows go to its own file source."""
    return f"file-{municipality.lower()}"


@dataclass
class CheckedRow:
    label: str
    key: str | None = None
    """The record's id at its file source (``source_id``); None if the row gives none."""
    key_column: str = "ID"
    source: str | None = None
    municipality: str | None = None
    record: MirrorRecord | None = None
    stamped: bool = False
    """The row says when it changed (``updatedAt``)."""
    problems: list[RowError] = field(default_factory=list)


class RowChecker:
    def __init__(
        self,
        directory: Directory,
        *,
        csv: bool,
        source: str | None = None,
        municipality: str | None = None,
        for_caller: bool = False,
    ) -> None:
        self.directory = directory
        self.csv = csv
        self.source = source
        self.municipality = municipality
        self.for_caller = for_caller
        """The municipality is the caller's own (``POST /import``), not a CLI option."""
        self.owner_of = {m: code for code, (_, owners) in directory.sources.items() for m in owners}
        """Municipality -> the one source its processes come from."""
        self.official_owners: dict[str, str] = {}
        """Owners registered nowhere yet but in the official lists: code -> name. The
        import registers them from the list before writing their records."""
        self._check_options()

    def target(self, municipality: str) -> str:
        """Where a municipality's rows go: ``--source``, else its own file source."""
        if self.source is not None:
            return self.source
        owner = self.owner_of.get(municipality)
        if owner is not None and self.directory.sources[owner][0] == SourceKind.FILE:
            return owner
        return default_source(municipality)

    def owned_elsewhere(self, municipality: str, source: str) -> str | None:
        """Why ``municipality``'s rows cannot go to ``source``: it has another owner."""
        owner = self.owner_of.get(municipality)
        if owner is None or owner == source:
            return None
        kind = self.directory.sources[owner][0]
        if kind == SourceKind.FILE:
            how = f"import them into it (--source {owner}, or no --source)"
        elif kind == SourceKind.HOSTED:
            how = "they are edited there; export, edit and import only into a file source"
        else:
            how = f"they change through its sync; remove {municipality} from {owner} first"
        return (
            f"{municipality}'s processes come from source {owner} ({kind}), and a"
            f" municipality has exactly one owning source, so they cannot also come from"
            f" {source}: {how}"
        )

    def _check_options(self) -> None:
        if self.municipality is not None and not self._known(self.municipality):
            if self.for_caller:
                raise ImportRefused(
                    f"your municipality {self.municipality} is neither registered nor in the"
                    " official municipality lists; an admin registers it (municipalityRegister)"
                )
            raise ImportRefused(
                f"--municipality {self.municipality}: not a registered municipality;"
                " codes look like DK-0746 (the `municipalities` query lists them)"
            )
        if self.municipality is not None and self.source is None:
            why = self.owned_elsewhere(self.municipality, self.target(self.municipality))
            if why:
                raise ImportRefused(why)
        if self.source is not None:
            if not SOURCE_CODE.match(self.source):
                raise ImportRefused(
                    f"--source {self.source!r}: a source code is 1-63 of a-z, 0-9 and '-'"
                )
            self.file_source(self.source)
            if self.municipality is not None and (
                why := self.owned_elsewhere(self.municipality, self.source)
            ):
                raise ImportRefused(why)
            owners = self.directory.sources.get(self.source, ("", []))[1]
            if self.source in self.directory.sources and self.municipality not in (None, *owners):
                raise ImportRefused(
                    f"--municipality {self.municipality} is not an owner of source"
                    f" {self.source} (owners: {', '.join(owners)})"
                )

    def file_source(self, code: str) -> None:
        """Only a file source's records may come from a file; another's come from its sync."""
        kind = self.directory.sources.get(code, (SourceKind.FILE.value, []))[0]
        if kind != SourceKind.FILE:
            raise ImportRefused(
                f"source {code} is a {kind} source; its records change only through"
                f" {'its own editors' if kind == SourceKind.HOSTED else 'its sync'}. Import"
                " into a file source instead (--source with a new code, or none for the"
                " default file-<municipality>)"
            )

    def check(self, raw: RawRow) -> CheckedRow:
        checked = CheckedRow(raw.label)
        if raw.problem is not None:
            checked.problems.append(RowError(raw.label, "(whole row)", None, raw.problem))
            return checked
        if raw.record is not None:
            return self._check_mapped(raw.record, checked)
        row = parse_row(raw.label, raw.cells, csv=self.csv)
        checked.municipality = self._municipality(row)
        checked.source = self.source
        if checked.municipality is not None:
            checked.source = self.target(checked.municipality)
        checked.key = self._key(row, checked.municipality, checked.source)
        checked.key_column = row.where.get("id") or column_name("id", csv=self.csv)
        if checked.key is None and checked.municipality is not None:
            row.problem(
                "id",
                None,
                "missing; give each row an ID (importing it again updates the record with"
                " that ID), or at least a title to key it by",
                csv=self.csv,
            )
        if checked.source is not None and checked.municipality is not None:
            self.file_source(checked.source)
            self._owner(row, checked.source, checked.municipality)
        if not row.problems:
            record = self._record(row, checked)
            reason = check(record)
            if reason is None:
                checked.record = record
                checked.stamped = record.updated_at is not None
            else:
                target = check_target(reason)
                row.problem(target, row.values.get(target), reason, csv=self.csv)
        checked.problems = row.problems
        return checked

    def _check_mapped(self, record: MirrorRecord, checked: CheckedRow) -> CheckedRow:
        """A row its format's adapter has mapped already (an OS2autoproces export's)."""
        row = ParsedRow(checked.label)
        code = record.municipality
        if code is None or not self._known(code):
            row.problem("municipality_code", code, "not a known municipality", csv=self.csv)
        else:
            checked.municipality = code
            checked.source = self.source or default_source(code)
            checked.key = record.source_id
            checked.key_column = "ID"
            self.file_source(checked.source)
            self._owner(row, checked.source, code)
        if not row.problems:
            reason = check(record)
            if reason is None:
                checked.record = record
                checked.stamped = record.updated_at is not None
            else:
                row.problem(check_target(reason), None, reason, csv=self.csv)
        checked.problems = row.problems
        return checked

    def _known(self, code: str) -> bool:
        """Registered, or in the official lists (then registered when written)."""
        if code in self.directory.municipalities:
            return True
        listed = official(code)
        if listed is not None:
            self.official_owners[code] = listed.name
        return listed is not None

    def _official_named(self, name: str) -> str | None:
        listed = official_by_name(name)
        if listed is None:
            return None
        if listed.code not in self.directory.municipalities:
            self.official_owners[listed.code] = listed.name
        return listed.code

    def _municipality(self, row: ParsedRow) -> str | None:
        code = row.values.get("municipality_code")
        if isinstance(code, str):
            code = code.upper()
            if not self._known(code):
                row.problem(
                    "municipality_code",
                    code,
                    "neither registered nor in the official municipality lists; an admin"
                    " registers it with `reusegraph municipality add` (codes look like DK-0746)",
                    csv=self.csv,
                )
                return None
        elif isinstance(name := row.parts.get("municipality_name"), str):
            code = self.directory.code_named(name) or self._official_named(name)
            code = code or self.municipality
            if code is None:
                row.problem(
                    "municipality_name",
                    name,
                    "no registered or official municipality has this name; give the code in a"
                    " column"
                    f' "{column_name("municipality_code", csv=self.csv)}" or --municipality',
                    csv=self.csv,
                )
                return None
        elif self.municipality is not None:
            code = self.municipality
        else:
            row.problem(
                "municipality_code",
                None,
                "missing; give the municipality's code (e.g. DK-0746) in this column, or"
                " --municipality for a file of one municipality",
                csv=self.csv,
            )
            return None
        if self.municipality is not None and code != self.municipality:
            why = (
                f"this row is {code}'s, but you import for your own municipality"
                f" {self.municipality} only; fix the row, or leave it to {code}'s editors"
                if self.for_caller
                else f"this row is {code}'s but --municipality says {self.municipality}; fix"
                " the row, or leave the option out"
            )
            row.problem("municipality_code", code, why, csv=self.csv)
            return None
        return code

    @staticmethod
    def _key(row: ParsedRow, municipality: str | None, source: str | None) -> str | None:
        """The row's ID; without one, municipality and title (stable while the title is).

        A row exported from this very source has the id its record has here, which is
        ``mirror_id(source, source id)``: its key is that source id again, so an export
        edited and imported again updates its records instead of copying them.
        """
        given, origin = row.parts.get("id"), row.parts.get("source_id")
        if isinstance(given, str) and given:
            if source and isinstance(origin, str) and str(mirror_id(source, origin)) == given:
                return origin
            return given
        title = row.values.get("title")
        if municipality is None or not isinstance(title, str) or not title:
            return None
        key = f"{municipality}:{title}"
        if len(key) > 255:
            key = f"{municipality}:sha1:{hashlib.sha1(title.encode()).hexdigest()}"
        return key

    def _owner(self, row: ParsedRow, source: str, municipality: str) -> None:
        known = self.directory.sources.get(source)
        if why := self.owned_elsewhere(municipality, source):
            row.problem("municipality_code", municipality, why, csv=self.csv)
        elif known is not None and municipality not in known[1]:
            row.problem(
                "municipality_code",
                municipality,
                f"{municipality} is not an owner of source {source} (owners:"
                f" {', '.join(known[1])}); import its rows without --source, or add the"
                f" owner: reusegraph source add {source} --kind file --owner ...",
                csv=self.csv,
            )

    @staticmethod
    def _record(row: ParsedRow, checked: CheckedRow) -> MirrorRecord:
        values = {**row.values, "municipality_code": checked.municipality}
        extras = {**values.get("extras", {}), **row.parts.get("extras", {})}
        if extras:
            values["extras"] = extras
        return MirrorRecord(
            source_id=checked.key or "",
            values=values,
            source_url=row.parts.get("source_url"),
            vendor=row.parts.get("vendor"),
            it_systems=row.parts.get("it_systems", []),
            technologies=row.parts.get("technologies", []),
            benefits=row.parts.get("benefits", []),
            reused_from=row.parts.get("reused_from", []),
            links=row.parts.get("links", []),
            umbrellas=row.parts.get("umbrellas"),
        )
