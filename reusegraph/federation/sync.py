"""The sync engine: pull each mirrored source into the store, page by page.

One run of one source: claim it (a PostgreSQL lock, so replicas never run it twice),
check its circuit breaker, then fetch a page, write it and its cursor in one
transaction, and repeat until the remote has no more. A failure at any point leaves
every committed page in place and the cursor at the last of them, so the next run
resumes there; the gateway keeps serving the last good data, marked stale.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.federation.backoff import Backoff, retrying
from reusegraph.federation.breaker import Breaker
from reusegraph.federation.credentials import Credentials, read_secret
from reusegraph.federation.errors import (
    CursorWentBackwards,
    RemoteAuthError,
    RemoteFormatError,
    RemoteGraphQLError,
    SourceMisconfigured,
    SyncError,
)
from reusegraph.federation.sources_graphql import RemotePage, fetch_changes
from reusegraph.observability import tracing
from reusegraph.store import municipality_register, sync_state, sync_writes, write_conflicts
from reusegraph.store.engine import Database
from reusegraph.store.enums import RunOutcome, SourceKind
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.mirror_records import MirrorRecord, Tombstone
from reusegraph.store.source_writes import parse_schedule
from reusegraph.store.sync_owners import BroughtOwners, bring_owners
from reusegraph.store.sync_writes import PageOutcome

if TYPE_CHECKING:
    from reusegraph.federation import os2autoproces_source as os2
    from reusegraph.federation.os2autoproces.report import MappingReport

log = logging.getLogger("reusegraph.sync")
STATISTICS_CHECK_ROWS = 500
"""Rows written between two looks at whether the planner's statistics fell behind."""


@dataclass(frozen=True)
class SyncOptions:
    backoff: Backoff = field(default_factory=Backoff)
    breaker: Breaker = field(default_factory=Breaker)
    concurrency: int = 4
    """Sources synced at once by this process (each holds two database connections)."""


@dataclass
class RunResult:
    source: str
    outcome: RunOutcome
    pages: int = 0
    upserted: int = 0
    deleted: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(source id, why) of records that break a rule of the model."""
    dropped: list[tuple[str, str]] = field(default_factory=list)
    """(source id, why) of records whose municipality this source cannot bring."""
    not_ours: int = 0
    """Records of municipalities another source owns (a shared listing): theirs."""
    registered: list[str] = field(default_factory=list)
    """``<code> <name>`` of the municipalities this run registered and now owns."""
    unserved: list[str] = field(default_factory=list)
    """Optional contract fields the remote does not know (an older reusegraph): the run
    asked without them, and what they carry was kept as it was."""
    fields: dict[str, dict[str, int]] = field(default_factory=dict)
    """An OS2autoproces listing: per field of the source, how many values were mapped,
    kept in ``extras``, derived, empty or invalid (none is dropped)."""
    error: str | None = None

    def add(self, outcome: PageOutcome, brought: BroughtOwners) -> None:
        self.pages += 1
        self.upserted += outcome.upserted
        self.deleted += outcome.deleted
        self.skipped.extend(outcome.skipped)
        self.dropped.extend(outcome.dropped)
        self.not_ours += outcome.foreign - len(outcome.dropped)
        self.registered.extend(brought.registered)

    def counts(self) -> str:
        """Every record of the run in one category, as the CLI prints it."""
        parts = [
            f"{self.upserted} upserted",
            f"{self.deleted} deleted",
            f"{len(self.skipped)} skipped",
            f"{len(self.dropped)} dropped",
        ]
        if self.not_ours:
            parts.append(f"{self.not_ours} of other sources' municipalities")
        if self.registered:
            parts.append(f"registered {', '.join(self.registered)}")
        if self.unserved:
            parts.append(
                f"asked without {', '.join(self.unserved)}, which the remote does not serve"
                " (an older version): kept what it carries as it was"
            )
        return ", ".join(parts)


Progress = Callable[[RunResult], None]


class SyncEngine:
    def __init__(
        self,
        db: Database,
        *,
        client: httpx.AsyncClient | None = None,
        options: SyncOptions | None = None,
        on_progress: Progress | None = None,
    ) -> None:
        self.db = db
        self._fitting: dict[str, int] = {}
        """Source -> the page size its remote's cost limit admitted."""
        self.options = options or SyncOptions()
        self.on_progress = on_progress
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": "reusegraph-sync"},
            event_hooks={"request": [_pass_trace]},
        )
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._background: dict[str, asyncio.Task[RunResult]] = {}
        self._written = 0
        self._next_statistics_check = STATISTICS_CHECK_ROWS
        self._analyzing = False

    async def stop_background(self) -> None:
        """Stop the runs webhooks started; each releases its source's lock as it ends."""
        for task in list(self._background.values()):
            task.cancel()
        await asyncio.gather(*self._background.values(), return_exceptions=True)

    async def aclose(self) -> None:
        await self.stop_background()
        if self._own_client:
            await self.client.aclose()

    def trigger(self, code: str) -> bool:
        """Start a run in the background (a webhook); False if one is already under way here."""
        running = self._background.get(code)
        if running is not None and not running.done():
            return False
        task = asyncio.create_task(self.sync(code), name=f"sync:{code}")
        self._background[code] = task
        task.add_done_callback(lambda _: self._background.pop(code, None))
        return True

    async def sync_many(self, codes: Sequence[str], *, force: bool = False) -> list[RunResult]:
        return list(await asyncio.gather(*(self.sync(code, force=force) for code in codes)))

    async def sync_due(self, now: datetime | None = None) -> list[RunResult]:
        """Every mirrored source whose schedule says it is time (and whose circuit is closed)."""
        now = now or datetime.now(UTC)
        due = []
        for source in await sync_state.mirrored_sources(self.db):
            interval = parse_schedule(source.schedule)
            started = source.last_sync_started_at
            if interval is not None and (started is None or started + interval <= now):
                due.append(source.code)
        return await self.sync_many(due)

    async def sync(self, code: str, *, force: bool = False) -> RunResult:
        """One run of one source; ``force`` ignores an open circuit (an operator's call)."""
        async with self._slots:
            try:
                return await self._claimed_run(code, force)
            except DatabaseUnavailable as error:
                log.warning("sync of %s stopped: database unavailable (%s)", code, error)
                return RunResult(code, RunOutcome.FAILED, error=f"database unavailable: {error}")

    async def _claimed_run(self, code: str, force: bool) -> RunResult:
        with tracing.span("sync run", **{"reusegraph.source": code}):
            return await self._claimed_run_traced(code, force)

    async def _claimed_run_traced(self, code: str, force: bool) -> RunResult:
        async with sync_state.claimed(self.db, code) as mine:
            if not mine:
                return RunResult(
                    code, RunOutcome.BUSY, error="another replica is syncing this source"
                )
            source, owners = await sync_state.load(self.db, code)
            if source is None:
                return RunResult(code, RunOutcome.UNKNOWN, error=f"no source {code!r}")
            if source.kind not in sync_state.MIRRORED:
                return RunResult(
                    code, RunOutcome.NOT_MIRRORED, error=f"{code} is {source.kind}: no sync"
                )
            now = datetime.now(UTC)
            if not force and Breaker.is_open(source.circuit_open_until, now):
                until = source.circuit_open_until.isoformat(timespec="seconds")
                return RunResult(code, RunOutcome.CIRCUIT_OPEN, error=f"circuit open until {until}")
            return await self._run(source, owners)

    async def _run(self, source: Any, owners: list[str]) -> RunResult:
        result = RunResult(source.code, RunOutcome.OK)
        await sync_state.mark_started(self.db, source.code)
        try:
            async with asyncio.timeout(source.max_run_seconds):
                if source.kind == SourceKind.GRAPHQL:
                    await self._pull_feed(source, owners, result)
                else:
                    await self._pull_listing(source, owners, result)
        except DatabaseUnavailable:
            raise
        except Exception as error:
            message = self._explain(source, error)
            failures = source.consecutive_failures + 1
            open_until = self.options.breaker.open_until(failures, datetime.now(UTC))
            await sync_state.mark_failed(self.db, source.code, message, open_until)
            log.warning("sync of %s failed: %s", source.code, message)
            result.outcome, result.error = RunOutcome.FAILED, message
            return result
        problems = _summary(result.skipped, result.dropped)
        await sync_state.mark_succeeded(self.db, source.code, problems=problems)
        result.outcome, result.error = (
            (RunOutcome.PARTIAL, problems) if problems else (RunOutcome.OK, None)
        )
        return result

    @staticmethod
    def _explain(source: Any, error: Exception) -> str:
        if isinstance(error, SyncError):
            return str(error)
        if isinstance(error, TimeoutError):
            return (
                f"the run took longer than {source.max_run_seconds} s (maxRunSeconds); the next"
                " run resumes where this one stopped"
            )
        log.exception("sync of %s failed unexpectedly", source.code)
        return f"unexpected error ({type(error).__name__}); see the server log"

    async def _pull_feed(self, source: Any, owners: list[str], result: RunResult) -> None:
        credentials = Credentials(source, self.client)
        municipality = owners[0] if len(owners) == 1 else None
        cursor: str | None = source.cursor
        seen = {cursor}
        while True:
            with tracing.span(
                "sync page",
                **{"reusegraph.source": source.code, "reusegraph.sync.page": result.pages + 1},
            ):
                cursor, more = await self._feed_page(
                    source, owners, credentials, cursor, municipality, seen, result
                )
            if not more:
                return

    async def _feed_page(
        self,
        source: Any,
        owners: list[str],
        credentials: Credentials,
        cursor: str | None,
        municipality: str | None,
        seen: set[str | None],
        result: RunResult,
    ) -> tuple[str | None, bool]:
        """One page fetched and written; the cursor after it and whether there is more."""
        page = await retrying(
            partial(self._fetch, source, credentials, cursor, municipality, result),
            self.options.backoff,
            on_retry=lambda n, e, wait: log.info(
                "sync of %s: try %d failed (%s); again in %.1f s", source.code, n, e, wait
            ),
        )
        after = page.cursor if page.cursor is not None else cursor
        if after != cursor and after in seen:
            raise CursorWentBackwards(
                f"{source.endpoint} handed out cursor {after!r} again, after it had moved"
                " past it; kept the last good cursor, nothing of that page was written"
            )
        if page.has_more and after == cursor:
            raise RemoteFormatError(
                f"{source.endpoint} said hasMore but its cursor did not move; stopped"
                " instead of asking for the same page forever"
            )
        await self._write(source, owners, page.records, page.tombstones, after, result)
        seen.add(after)
        return after, page.has_more

    async def _fetch(
        self,
        source: Any,
        credentials: Credentials,
        cursor: str | None,
        municipality: str | None,
        result: RunResult,
    ) -> RemotePage:
        """One page; smaller ones when the remote's cost limit refuses the page size, and
        without the optional fields an older remote refuses.

        The size that fitted is remembered for the source's next pages (and runs); the
        fields the remote refused for the rest of the run (``result.unserved``)."""
        size = min(self._fitting.get(source.code, source.page_size), source.page_size)
        renewed = False
        for _ in range(6):
            try:
                page = await fetch_changes(
                    self.client,
                    source.endpoint,
                    since=cursor,
                    first=size,
                    municipality=municipality,
                    headers=await credentials.headers(),
                    request_timeout=float(source.timeout_seconds),
                    without=frozenset(result.unserved),
                )
            except RemoteAuthError:
                if renewed or not credentials.refused():
                    raise
                renewed = True
                continue
            except RemoteGraphQLError as error:
                refused = sorted(error.refused_fields - set(result.unserved))
                if refused:
                    log.info(
                        "sync of %s: the remote does not serve %s (an older version); asking"
                        " without it for the rest of the run",
                        source.code,
                        ", ".join(refused),
                    )
                    result.unserved.extend(refused)
                    continue
                smaller = error.fitting_first(size)
                if smaller is None:
                    raise
                log.info(
                    "sync of %s: the remote's cost limit refused %d records a page; asking for %d",
                    source.code,
                    size,
                    smaller,
                )
                size = smaller
                continue
            self._fitting[source.code] = size
            return page
        raise RemoteGraphQLError(
            f"{source.endpoint} refused every page size down to {size} records"
        )

    async def _pull_listing(self, source: Any, owners: list[str], result: RunResult) -> None:
        if not source.endpoint:
            raise SourceMisconfigured(f"source {source.code} has no endpoint")
        # Here, not at the top: it brings openpyxl, which a feed-only sync never needs.
        from reusegraph.federation.os2autoproces.report import MappingReport

        api_key = read_secret(source.secret_ref, source.code)
        mapping = MappingReport()
        try:
            await self._list_pages(source, owners, result, api_key, mapping)
        finally:
            result.fields = {name: mapping.counts(name) for name in sorted(mapping.fields)}

    async def _list_pages(
        self,
        source: Any,
        owners: list[str],
        result: RunResult,
        api_key: str,
        mapping: "MappingReport",
    ) -> None:
        """The listing from its stored cursor; resumes at the page a retryable error hit."""
        from reusegraph.federation import os2autoproces_source as os2

        async with self.db.session(None) as session:
            known = await municipality_register.registered(session)
        directory = os2.owner_directory(
            {m["code"]: m["name"] for m in known},
            {m["code"]: m["org_number"] for m in known if m["org_number"]},
        )

        scan = os2.ScanCursor.load(source.cursor)
        if source.cursor is None:
            await self._write(source, owners, [], [], scan.dump(), result, count=False)
        attempt = 1
        while True:
            pages = os2.listing(
                source.endpoint,
                api_key,
                client=self.client,
                start_url=scan.next_url,
                page_size=source.page_size,
                request_timeout=float(source.timeout_seconds),
                report=mapping,
                directory=directory,
            )
            try:
                async with aclosing(pages):
                    async for page in pages:
                        scan = os2.ScanCursor(scan.started, page.next_url)
                        if page.next_url is None:
                            await self._finish_listing(source, owners, page.records, scan, result)
                            return
                        await self._write(source, owners, page.records, [], scan.dump(), result)
                        attempt = 1
                return
            except SyncError as error:
                if not error.retryable or attempt >= self.options.backoff.attempts:
                    raise
                await asyncio.sleep(self.options.backoff.delay(attempt))
                attempt += 1

    async def _finish_listing(
        self,
        source: Any,
        owners: list[str],
        records: list[MirrorRecord],
        scan: "os2.ScanCursor",
        result: RunResult,
    ) -> None:
        """The last page, and what the listing no longer has, in one transaction."""

        async def page(owners: list[str]) -> tuple[PageOutcome, BroughtOwners]:
            async with self.db.session(None) as session:
                outcome, brought = await _apply(session, source.code, owners, records, [])
                if await sync_writes.seen_since(session, source.code, scan.started) == 0:
                    held = await sync_writes.count_records(session, source.code)
                    if held:
                        raise RemoteFormatError(
                            f"{source.endpoint} listed no processes of this source's owners;"
                            f" kept the {held} mirrored ones instead of deleting them all"
                        )
                unseen = await sync_writes.delete_unseen(session, source.code, scan.started)
                outcome.deleted += unseen
                await sync_state.save_page(session, source.code, None, outcome)
            return outcome, brought

        outcome, brought = await _retried(page, owners, source.code)
        self._progress(result, outcome, brought)
        await self._keep_statistics(outcome.upserted)

    async def _write(
        self,
        source: Any,
        owners: list[str],
        records: Sequence[MirrorRecord],
        tombstones: Sequence[Tombstone],
        cursor: str | None,
        result: RunResult,
        *,
        count: bool = True,
    ) -> None:

        async def page(owners: list[str]) -> tuple[PageOutcome, BroughtOwners]:
            async with self.db.session(None) as session:
                outcome, brought = await _apply(session, source.code, owners, records, tombstones)
                await sync_state.save_page(session, source.code, cursor, outcome)
            return outcome, brought

        outcome, brought = await _retried(page, owners, source.code)
        if count:
            self._progress(result, outcome, brought)
        await self._keep_statistics(outcome.upserted)

    async def _keep_statistics(self, written: int) -> None:
        """ANALYZE when the mirror has outgrown what the planner knows (doubling steps).

        A first sync into an empty gateway otherwise runs on plans made for empty
        tables until autovacuum gets round to them (``sync_writes.statistics_stale``).
        """
        self._written += written
        if self._written < self._next_statistics_check or self._analyzing:
            return
        self._next_statistics_check = self._written + STATISTICS_CHECK_ROWS
        self._analyzing = True
        try:
            async with self.db.engine.connect() as connection:
                if await sync_writes.statistics_stale(connection):
                    await sync_writes.refresh_statistics(connection)
                await connection.commit()
        except SQLAlchemyError as error:
            log.warning("could not refresh the planner's statistics: %s", error)
        finally:
            self._analyzing = False

    def _progress(self, result: RunResult, outcome: PageOutcome, brought: BroughtOwners) -> None:
        result.add(outcome, brought)
        if self.on_progress is not None:
            self.on_progress(result)


async def _retried(
    page: Callable[[list[str]], Awaitable[tuple[PageOutcome, BroughtOwners]]],
    owners: list[str],
    code: str,
) -> tuple[PageOutcome, BroughtOwners]:
    """The page's transaction again if PostgreSQL ended it to break a deadlock with another
    source's page (``store/write_conflicts``); each attempt starts from the owners known
    before it, and the owners it brought count once it commits."""

    async def attempt() -> tuple[PageOutcome, BroughtOwners]:
        trying = list(owners)
        done = await page(trying)
        owners[:] = trying
        return done

    return await write_conflicts.retried(attempt, what=f"a page of {code}")


async def _apply(
    session: AsyncSession,
    code: str,
    owners: list[str],
    records: Sequence[MirrorRecord],
    tombstones: Sequence[Tombstone],
) -> tuple[PageOutcome, BroughtOwners]:
    """A page, after registering the owners it brings (``owners`` grows in place)."""
    brought = await bring_owners(session, code, owners, (r.municipality for r in records))
    outcome = await sync_writes.apply_page(
        session,
        code,
        owners,
        records,
        tombstones,
        synced_at=datetime.now(UTC),
        why_not_ours=brought.why_not_ours,
    )
    return outcome, brought


async def _pass_trace(request: httpx.Request) -> None:
    """W3C ``traceparent`` on every request to a remote: its spans join this sync's trace."""
    request.headers.update(tracing.outgoing_headers())


def _summary(skipped: list[tuple[str, str]], dropped: list[tuple[str, str]]) -> str | None:
    """What the run could not store, by category: ``skipped`` (a rule of the model) and
    ``dropped`` (a municipality this source cannot bring), five examples each."""
    parts = []
    for label, items in (("skipped", skipped), ("dropped", dropped)):
        if items:
            shown = "; ".join(f"{source_id or '(no id)'}: {why}" for source_id, why in items[:5])
            more = f" (and {len(items) - 5} more)" if len(items) > 5 else ""
            parts.append(f"{len(items)} records {label}: {shown}{more}")
    return " | ".join(parts) or None
