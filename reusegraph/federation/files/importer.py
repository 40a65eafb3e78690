"""``reusegraph import FILE``: a CSV or JSON file into file sources, by the sync's write path.

Two passes over the file. The survey reads and checks every row (against the
municipalities and sources here, and against the other rows: an ID may appear once), so
``--atomic`` can refuse before anything is written and ``--complete`` knows every ID the
file holds. The write pass reads the file again and writes its good rows with
``sync_writes.apply_page``: one transaction per page, or one for the whole file with
``--atomic`` and with ``--dry-run``, which rolls it back. A dry run is therefore the real
import, undone, and reports exactly what the import would do. Each page's records are read
as stored before and after the write; the difference is what the report and the audit
log say. Memory holds a page and the file's IDs, not the file (JSON is parsed whole).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Principal, Role
from reusegraph.federation.files.fields import camel
from reusegraph.federation.files.reading import FileFormat, detect, read_rows
from reusegraph.federation.files.report import Action, Change, ImportReport, RowError, SourceTally
from reusegraph.federation.files.rows import CheckedRow, ImportRefused, RowChecker
from reusegraph.federation.files.survey import Progress, Survey, good_pages, survey_rows
from reusegraph.store import audit, file_imports, municipality_register, source_writes, sync_writes
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.enums import SourceKind
from reusegraph.store.file_imports import Directory, Stored
from reusegraph.store.mirror_records import Tombstone
from reusegraph.store.official_municipalities import official_name
from reusegraph.store.source_writes import SourceSpec
from reusegraph.store.write_errors import WriteForbidden, WriteRejected

SYSTEM = Call(Principal(issuer="reusegraph", subject="file-import", roles=frozenset({Role.ADMIN})))
STALE_AFTER_SECONDS = 365 * 86400
"""A file source is as fresh as its last import; it is not expected to change daily."""
PAGE_SIZE = 500


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    atomic: bool = False
    complete: bool = False
    """The file lists all of its sources' records: what it lacks is deleted."""
    source: str | None = None
    municipality: str | None = None
    format: FileFormat | None = None
    page_size: int = PAGE_SIZE
    as_caller: bool = False
    """Write as the call's viewer, under row-level security as ``processCreate`` does
    (``POST /import``); otherwise as the system (the CLI, run by the operator)."""


class _Undo(Exception):
    """Leaves a dry run's transaction by rolling it back."""


async def import_file(
    database_url: str,
    path: Path,
    options: ImportOptions,
    *,
    call: Call = SYSTEM,
    on_progress: Progress | None = None,
) -> ImportReport:
    db = Database(database_url, pool_size=1)
    try:
        return await run_import(db, path, options, call=call, on_progress=on_progress)
    finally:
        await db.dispose()


async def run_import(
    db: Database,
    path: Path,
    options: ImportOptions,
    *,
    call: Call = SYSTEM,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Raises ``FileUnreadable`` or ``ImportRefused`` before writing anything."""
    progress = on_progress or (lambda stage, done, total: None)
    format = detect(path, options.format)
    report = ImportReport(
        path.name,
        format.value,
        dry_run=options.dry_run,
        atomic=options.atomic,
        complete=options.complete,
    )
    writer_role = call.viewer if options.as_caller else None
    async with db.session(writer_role) as session:
        directory = await file_imports.directory(session)
    checker = RowChecker(
        directory,
        csv=format is not FileFormat.JSON,
        source=options.source,
        municipality=options.municipality,
        for_caller=options.as_caller,
    )
    first_pass = read_rows(path, format)
    if format is FileFormat.XLSX:  # the workbook reader (openpyxl) only when one is imported
        from reusegraph.federation.files.workbook import export_rows
        from reusegraph.federation.os2autoproces.report import MappingReport

        mapping = MappingReport()
        first_pass = export_rows(path, mapping, directory.municipalities)
    survey = survey_rows(
        checker, first_pass, report, options.source, options.municipality, progress
    )
    if format is FileFormat.XLSX:
        report.notes.extend(["OS2autoproces fields:", *mapping.summary().splitlines()[1:]])
    if report.errors and options.atomic and not options.dry_run:
        return report
    writer = _Writer(directory, survey, options, call, report, checker.official_owners)
    rows = read_rows(path, format, directory.municipalities)
    pages = good_pages(checker, rows, survey.bad, options.page_size)
    done = 0
    if options.atomic or options.dry_run:
        try:
            async with db.session(writer_role) as session:
                for page in pages:
                    await writer.page(session, page)
                    done += len(page)
                    progress("writing", done, survey.good)
                await writer.finish(session)
                if options.dry_run:
                    raise _Undo
        except _Undo:
            pass
    else:
        for page in pages:
            async with db.session(writer_role) as session:
                await writer.page(session, page)
            done += len(page)
            progress("writing", done, survey.good)
        async with db.session(writer_role) as session:
            await writer.finish(session)
    report.written = not options.dry_run
    return report


class _Writer:
    def __init__(
        self,
        directory: Directory,
        survey: Survey,
        options: ImportOptions,
        call: Call,
        report: ImportReport,
        official_owners: dict[str, str],
    ) -> None:
        self.official_owners = official_owners
        self.survey = survey
        self.options = options
        self.call = call
        self.report = report
        self.started = datetime.now(UTC)
        self.owners = {
            code: owners
            for code, (kind, owners) in directory.sources.items()
            if kind == SourceKind.FILE
        }

    def tally(self, code: str) -> SourceTally:
        if code not in self.report.sources:
            self.report.sources[code] = SourceTally(code, self.owners.get(code, []))
        return self.report.sources[code]

    async def page(self, session: AsyncSession, rows: list[CheckedRow]) -> None:
        by_source: dict[str, list[CheckedRow]] = defaultdict(list)
        for row in rows:
            by_source[str(row.source)].append(row)
        for code in sorted({str(row.municipality) for row in rows} & set(self.official_owners)):
            for now in await municipality_register.register_official(session, self.call, code):
                self.report.registered.append(f"{now} {official_name(now)}")
            del self.official_owners[code]
        for code, items in by_source.items():
            owners = await self._source(session, code)
            await self._write(session, code, owners, items)

    async def _source(self, session: AsyncSession, code: str) -> list[str]:
        """The source's owners; a source named for the first time is registered now."""
        if code in self.owners:
            return self.owners[code]
        owners = sorted(self.survey.owners[code])
        named = owners[0] if len(owners) == 1 else f"{len(owners)} municipalities"
        spec = SourceSpec(
            code=code,
            name=f"File import ({named})",
            kind=SourceKind.FILE,
            owners=owners,
            stale_after_seconds=STALE_AFTER_SECONDS,
        )
        try:
            await source_writes.register_source(session, self.call, spec)
        except (WriteRejected, WriteForbidden) as error:
            raise ImportRefused(f"cannot register the file source {code}: {error}") from None
        self.owners[code] = owners
        self.tally(code).new = True
        return owners

    async def _write(
        self,
        session: AsyncSession,
        code: str,
        owners: list[str],
        rows: list[CheckedRow],
    ) -> None:
        now = datetime.now(UTC)
        keys = [str(row.key) for row in rows]
        before = await file_imports.stored(session, code, keys)
        records = []
        for row in rows:
            assert row.record is not None
            old = before.get(row.record.source_id)
            if old is not None:
                row.record.values.setdefault("created_at", old.created_at)
                if not row.stamped:  # unchanged keeps its time; changed is stamped below
                    row.record.values["updated_at"] = old.updated_at
            records.append(row.record)
        outcome = await sync_writes.apply_page(session, code, owners, records, [], synced_at=now)
        label = {str(row.key): row.label for row in rows}
        for source_id, why in outcome.skipped:
            self.report.errors.append(RowError(label[source_id], "(whole row)", None, why))
        after = await file_imports.stored(session, code, keys)
        touched = []
        tally = self.tally(code)
        for row in rows:
            old, new = before.get(str(row.key)), after.get(str(row.key))
            if new is None:
                continue
            if old is None:
                tally.created += 1
                await self._changed(session, Action.CREATE, code, row, None, new)
            elif old.content == new.content:
                assert row.record is not None
                stamp = row.record.updated_at
                if row.stamped and stamp is not None and old.updated_at > stamp:
                    tally.kept += 1
                    self._note(Action.KEEP, code, row, new)
                else:
                    tally.unchanged += 1
            else:
                if not row.stamped:
                    touched.append(new.process_id)
                    new.content["updated_at"] = now.isoformat()
                tally.updated += 1
                await self._changed(session, Action.UPDATE, code, row, old, new)
        if touched:
            await file_imports.touch(session, touched, now)

    async def _changed(
        self,
        session: AsyncSession,
        action: Action,
        code: str,
        row: CheckedRow,
        old: Stored | None,
        new: Stored,
    ) -> None:
        self._note(action, code, row, new, old)
        await audit.record(
            session,
            self.call,
            "fileImport",
            "Process",
            str(new.process_id),
            old.content if old else None,
            new.content,
        )

    def _note(
        self, action: Action, code: str, row: CheckedRow, new: Stored, old: Stored | None = None
    ) -> None:
        if not self.options.dry_run:
            return
        fields = _differences(old, new) if old is not None else ()
        self.report.changes.append(Change(action, code, str(row.key), new.title, row.label, fields))

    async def finish(self, session: AsyncSession) -> None:
        """What a complete file no longer lists goes; each source records the import."""
        if self.options.complete and self.survey.unplaced:
            self.report.notes.append(
                f"Nothing was deleted: {self.survey.unplaced} is bad and has no ID, so the"
                " file may hold a record this import cannot name."
            )
        for code in sorted(self.survey.scope):
            if code in self.owners:
                await self._missing(session, code)
        problems = None
        if self.report.errors:
            shown = "; ".join(str(e) for e in self.report.errors[:5])
            problems = f"{self.report.bad_rows} rows not imported: {shown}"
        for code, tally in self.report.sources.items():
            await file_imports.record_outcome(
                session,
                code,
                started=self.started,
                upserts=tally.created + tally.updated,
                deletes=tally.deleted,
                skipped=self.report.bad_rows,
                problems=problems,
            )
            summary = {
                "file": self.report.file,
                "created": tally.created,
                "updated": tally.updated,
                "deleted": tally.deleted,
                "unchanged": tally.unchanged,
                "badRows": self.report.bad_rows,
            }
            await audit.record(session, self.call, "fileImport", "Source", code, None, summary)

    async def _missing(self, session: AsyncSession, code: str) -> None:
        titles = await file_imports.stored_titles(session, code)
        missing = sorted(set(titles) - set(self.survey.keys.get(code, {})) - self.survey.floating)
        tally = self.tally(code)
        if not self.options.complete or self.survey.unplaced:
            tally.not_in_file = len(missing)
            return
        size = self.options.page_size
        for chunk in (missing[i : i + size] for i in range(0, len(missing), size)):
            await self._delete(session, code, chunk)

    async def _delete(self, session: AsyncSession, code: str, source_ids: list[str]) -> None:
        before = await file_imports.stored(session, code, source_ids)
        gone = [Tombstone(source_id) for source_id in source_ids]
        outcome = await sync_writes.apply_page(
            session, code, self.owners[code], [], gone, synced_at=datetime.now(UTC)
        )
        self.tally(code).deleted += outcome.deleted
        for source_id in source_ids:
            old = before[source_id]
            if self.options.dry_run:
                change = Change(Action.DELETE, code, source_id, old.title)
                self.report.changes.append(change)
            await audit.record(
                session, self.call, "fileImport", "Process", str(old.process_id), old.content, None
            )


def _differences(old: Stored, new: Stored) -> tuple[str, ...]:
    names = [k for k in new.content if old.content.get(k) != new.content[k]]
    return tuple(camel(name) for name in names if name != "updated_at" or len(names) == 1)
