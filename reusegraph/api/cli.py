"""The ``reusegraph`` command. Parses arguments and calls the packages; no logic of its own."""

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from reusegraph import __version__
from reusegraph.api.settings import Settings, SettingsError
from reusegraph.observability.progress import Progress


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api.server import serve

    overrides = {k: v for k in ("host", "port", "workers") if (v := getattr(args, k)) is not None}
    serve(replace(settings, **overrides), migrate=args.migrate)


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api.server import resolve_database
    from reusegraph.store.engine import Database
    from reusegraph.store.schema_version import current_revision, head_revision, upgrade

    database = resolve_database(settings)

    async def run() -> None:
        db = Database(database.url, pool_size=1)
        try:
            before = await current_revision(db.engine)
            await upgrade(db.engine)
            print(f"Database schema: {before or '(empty)'} -> {head_revision()}")
        finally:
            await db.dispose()

    asyncio.run(run())


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api.server import Say, prepare, resolve_database

    database = resolve_database(settings)
    chunks: list[Progress] = []  # made at the first chunk: after the migration's messages

    def report(_: str) -> None:
        if not chunks:
            chunks.append(Progress(None, "demo data", unit="chunks"))
        chunks[0].advance()

    try:
        asyncio.run(
            prepare(
                database.url,
                migrate=database.embedded is not None,
                load_demo_data=True,
                say=Say(),
                on_chunk=report,
            )
        )
    finally:
        for progress in chunks:
            progress.close()


def _schema(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


_EXPORT_FILTERS = {  # flag: (query parameter, example)
    "municipality": ("municipality", "municipality code, e.g. DK-0746"),
    "country": ("country", "DK, NO, SE, FI or IS"),
    "phase": ("phase", "e.g. OPERATION"),
    "status": ("status", "e.g. INPROGRESS"),
    "domain": ("domain", "e.g. HEALTH"),
    "technology": ("technology", "technology code, e.g. rpa"),
    "it-system": ("itSystem", "IT system code, e.g. sofie"),
    "vendor": ("vendor", "vendor id"),
    "kle": ("kle", "KLE prefix, e.g. 27.24"),
    "updated-since": ("updatedSince", "ISO date or time (once)"),
    "has-reuse": ("hasReuse", "true or false (once)"),
    "search": ("search", "full-text search, as in `processes` (once)"),
}


def _add_export_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    export = commands.add_parser(
        "export",
        help="export processes as CSV, JSON or XLSX, with the filters of `processes`",
        description="Filters combine with AND; repeat a filter, or separate values with"
        " commas, for any of them. Without --member-of only public data is exported.",
    )
    export.add_argument("--format", choices=["csv", "json", "xlsx"], required=True)
    export.add_argument("--output", "-o", help="the file to write (default: standard output)")
    for flag, (_, example) in _EXPORT_FILTERS.items():
        export.add_argument(f"--{flag}", action="append", default=[], help=example)
    export.add_argument(
        "--member-of",
        metavar="MUNICIPALITY",
        help="export as a member of this municipality (with its MUNICIPALITY-visible"
        " processes and internal fields)",
    )
    export.set_defaults(run=_export)


def _export(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api.exports import ExportParameterError, run_export
    from reusegraph.api.server import resolve_database
    from reusegraph.auth.principal import ANONYMOUS, Principal, Role
    from reusegraph.store.exports.formats import Format

    params = {
        name: values
        for flag, (name, _) in _EXPORT_FILTERS.items()
        if (values := getattr(args, flag.replace("-", "_")))
    }
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        sys.exit("reusegraph export: XLSX is binary; give --output FILE or redirect the output")
    viewer = ANONYMOUS
    if args.member_of:
        roles = frozenset({Role.MEMBER})
        viewer = Principal(issuer="reusegraph-cli", municipality=args.member_of, roles=roles)
    database = resolve_database(settings)
    progress = Progress(None, "exporting", unit="processes")
    try:
        rows = asyncio.run(
            run_export(
                database.url,
                viewer,
                params,
                Format(args.format),
                args.output,
                on_rows=progress.update,
            )
        )
    except ExportParameterError as error:
        allowed = f" Allowed: {', '.join(error.allowed)}." if error.allowed else ""
        print(f"reusegraph export: {error}.{allowed}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        progress.close()
    print(f"Exported {rows} processes to {args.output or 'standard output'}.", file=sys.stderr)


def _add_import_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    imports = commands.add_parser(
        "import",
        help="import processes from a CSV, JSON or OS2autoproces Excel file into a file source",
        description="Rows are those `reusegraph export` writes (CSV or JSON), JSON objects"
        " with the GraphQL or database field names, or the rows of OS2autoproces's Excel"
        " export (processes.xlsx, recognised by its 62-column header). Each municipality's"
        " rows go to its own file source, file-<code> (registered when missing), unless"
        " --source names one."
        " Exit status 1 when a row is bad, 2 when the import cannot start.",
    )
    imports.add_argument("file", metavar="FILE")
    imports.add_argument(
        "--dry-run", action="store_true", help="print what would change; write nothing"
    )
    imports.add_argument(
        "--atomic",
        action="store_true",
        help="one transaction: all good rows land, or none if any row is bad",
    )
    imports.add_argument(
        "--complete",
        action="store_true",
        help="the file lists all of its sources' records: delete the ones it lacks",
    )
    imports.add_argument(
        "--source", metavar="CODE", help="the file source (default: file-<municipality>)"
    )
    imports.add_argument(
        "--municipality",
        metavar="CODE",
        help="the municipality of rows that name none; a row naming another is bad",
    )
    imports.add_argument(
        "--format", choices=["csv", "json", "xlsx"], help="default: by the extension or content"
    )
    imports.set_defaults(run=_import)


def _import(args: argparse.Namespace, settings: Settings) -> None:
    from pathlib import Path

    from reusegraph.api.server import resolve_database
    from reusegraph.api.source_admin import operator
    from reusegraph.federation import files

    options = files.ImportOptions(
        dry_run=args.dry_run,
        atomic=args.atomic,
        complete=args.complete,
        source=args.source,
        municipality=args.municipality.upper() if args.municipality else None,
        format=files.FileFormat(args.format) if args.format else None,
    )
    stages: dict[str, Progress] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        if stage not in stages:
            for earlier in stages.values():
                earlier.close()
            stages[stage] = Progress(total, stage, unit="rows")
        stages[stage].update(done, total)

    url = resolve_database(settings).url
    try:
        result = asyncio.run(
            files.import_file(url, Path(args.file), options, call=operator(), on_progress=report)
        )
    except (files.FileUnreadable, files.ImportRefused) as error:
        print(f"reusegraph import: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        for stage in stages.values():
            stage.close()
    for line in result.summary():
        print(line)
    for line in result.problems():
        print(line, file=sys.stderr)
    if result.exit_code:
        raise SystemExit(result.exit_code)


def _add_dev_token_command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    dev = commands.add_parser(
        "dev-token",
        help="print a token of the local development issuer (needs REUSEGRAPH_DEV_MODE=true)",
    )
    dev.add_argument("--municipality", help="e.g. NO-5001")
    dev.add_argument(
        "--role",
        action="append",
        choices=["reader", "member", "editor", "admin"],
        help="may be repeated (default: reader)",
    )
    dev.add_argument("--subject", default="developer", help="the token's sub (default: developer)")
    dev.add_argument("--hours", type=int, default=8, help="lifetime in hours (default: 8)")
    dev.set_defaults(run=_dev_token)


def _dev_token(args: argparse.Namespace, settings: Settings) -> None:
    import re

    from reusegraph.auth.dev_issuer import load_or_create_key, mint

    if not settings.dev_mode:
        sys.exit(
            "reusegraph: dev-token needs REUSEGRAPH_DEV_MODE=true, for this command and for "
            "the server; otherwise the server refuses the token."
        )
    if args.municipality and not re.match(r"^[A-Z]{2}-[0-9]{3,4}$", args.municipality):
        sys.exit(f"reusegraph: --municipality {args.municipality!r} must look like NO-5001")
    if not 1 <= args.hours <= 24 * 7:
        sys.exit("reusegraph: --hours must be 1-168")
    token = mint(
        load_or_create_key(settings.data_dir),
        municipality=args.municipality,
        roles=args.role or ["reader"],
        subject=args.subject,
        ttl_seconds=args.hours * 3600,
    )
    print(token)


def _add_source_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    source = commands.add_parser("source", help="register, list and remove data sources")
    actions = source.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add",
        help="register a source, or change a registered one's settings",
        description="Credentials are never given here: --secret names where the server reads"
        " the token, API key or client secret (env:VARIABLE or file:/path).",
    )
    add.add_argument("code", help="stable id: a-z, 0-9 and '-', e.g. oslo-registry")
    add.add_argument(
        "--kind", choices=["graphql", "os2autoproces", "hosted", "file"], required=True
    )
    add.add_argument("--owner", action="append", required=True, help="municipality code; repeat")
    add.add_argument("--name", help="display name (default: the code)")
    add.add_argument("--endpoint", help="GraphQL endpoint, or OS2autoproces base URL")
    add.add_argument("--auth", choices=["none", "bearer", "oauth2", "api_key"], default="none")
    add.add_argument("--secret", dest="secret_ref", help="env:VARIABLE or file:/path")
    add.add_argument("--token-url", help="OAuth2 token endpoint (auth oauth2)")
    add.add_argument("--client-id", help="OAuth2 client id (auth oauth2)")
    add.add_argument("--scope", help="OAuth2 scope (auth oauth2)")
    add.add_argument("--schedule", help="'every 15m', '1h', '1d' or 'manual' (default)")
    add.add_argument("--timeout", type=int, default=30, help="seconds per request (default 30)")
    add.add_argument("--max-run", type=int, default=900, help="seconds per run (default 900)")
    add.add_argument("--page-size", type=int, default=500, help="records per page (default 500)")
    add.add_argument("--stale-after", type=int, default=86400, help="seconds (default 86400)")
    actions.add_parser("list", help="every source with its sync state")
    remove = actions.add_parser("remove", help="remove a source (a mirror's copies go with it)")
    remove.add_argument("code")
    source.set_defaults(run=_source)


def _source(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api import source_admin
    from reusegraph.api.server import resolve_database
    from reusegraph.store.source_writes import SourceSpec
    from reusegraph.store.write_errors import WriteRejected

    url = resolve_database(settings).url
    try:
        if args.action == "add":
            spec = SourceSpec(
                code=args.code,
                name=args.name or args.code,
                kind=args.kind,
                owners=args.owner,
                endpoint=args.endpoint,
                auth=args.auth,
                secret_ref=args.secret_ref,
                token_url=args.token_url,
                client_id=args.client_id,
                scope=args.scope,
                schedule=args.schedule,
                timeout_seconds=args.timeout,
                max_run_seconds=args.max_run,
                page_size=args.page_size,
                stale_after_seconds=args.stale_after,
            )
            asyncio.run(source_admin.add_source(url, spec))
            print(f"Source {args.code} registered.", file=sys.stderr)
        elif args.action == "remove":
            removed = asyncio.run(source_admin.remove_source(url, args.code))
            print(f"Source {args.code} removed ({removed} mirrored records).", file=sys.stderr)
        else:
            rows = asyncio.run(source_admin.list_sources(url))
            columns = ["code", "kind", "owners", "outcome", "finished", "lag", "stale", "records"]
            table = [columns, *([str(row[c]) for c in columns] for row in rows)]
            widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
            for line in table:
                print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
            for row in rows:
                if row["error"]:
                    print(f"{row['code']}: {row['error']}")
    except WriteRejected as rejected:
        for error in rejected.errors:
            field = "/".join(error.field)
            print(
                f"reusegraph source: {field + ': ' if field else ''}{error.message}",
                file=sys.stderr,
            )
        raise SystemExit(2) from None


def _add_municipality_command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    municipality = commands.add_parser("municipality", help="register and list municipalities")
    actions = municipality.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add",
        help="register a municipality",
        description="Name, CVR/organisasjonsnummer and region default to the official list"
        " shipped with reusegraph (reusegraph/store/reference).",
    )
    add.add_argument("code", help="e.g. DK-0746 or NO-5001")
    add.add_argument("--name")
    add.add_argument("--org-number", help="CVR (DK) or organisasjonsnummer (NO)")
    add.add_argument("--region")
    add.add_argument("--merged-into", help="code of the municipality it merged into")
    add.add_argument("--fte-hours", type=float, help="hours of one FTE per year")
    listing = actions.add_parser("list", help="registered municipalities")
    listing.add_argument(
        "--official", action="store_true", help="the official lists instead of the registered"
    )
    municipality.set_defaults(run=_municipality)


def _municipality(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.api import municipality_admin
    from reusegraph.store.write_errors import WriteRejected

    if args.action == "list" and args.official:
        rows = municipality_admin.official_rows()
    else:
        from reusegraph.api.server import resolve_database

        url = resolve_database(settings).url
        try:
            if args.action == "add":
                given = {
                    "name": args.name,
                    "org_number": args.org_number,
                    "region": args.region,
                    "merged_into_code": args.merged_into.upper() if args.merged_into else None,
                    "fte_hours_per_year": args.fte_hours,
                }
                code = asyncio.run(municipality_admin.add_municipality(url, args.code, given))
                print(f"Municipality {code} registered.", file=sys.stderr)
                return
            rows = asyncio.run(municipality_admin.list_municipalities(url))
        except WriteRejected as rejected:
            for error in rejected.errors:
                field = "/".join(error.field)
                print(
                    f"reusegraph municipality: {field + ': ' if field else ''}{error.message}",
                    file=sys.stderr,
                )
            raise SystemExit(2) from None
    columns = ["code", "name", "org_number", "region", "merged_into_code"]
    table = [columns, *([str(row[c] or "") for c in columns] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _add_sync_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sync = commands.add_parser(
        "sync",
        help="pull mirrored sources now (all of them without SOURCE)",
        description="Each run resumes from the source's last committed cursor. Exit status 1"
        " when a source failed, 2 when a SOURCE named is unknown or not mirrored.",
    )
    sync.add_argument("sources", nargs="*", metavar="SOURCE")
    sync.add_argument("--force", action="store_true", help="ignore an open circuit breaker")
    sync.add_argument("--due", action="store_true", help="only sources due by their schedule")
    sync.add_argument(
        "--watch", type=int, metavar="SECONDS", help="keep running: sync due sources every SECONDS"
    )
    sync.set_defaults(run=_sync)


def _sync(args: argparse.Namespace, settings: Settings) -> None:
    import time

    from reusegraph.api import source_admin
    from reusegraph.api.server import resolve_database
    from reusegraph.federation.sync import RunResult
    from reusegraph.observability import tracing
    from reusegraph.store.enums import RunOutcome

    if args.sources and (args.due or args.watch is not None):
        print(
            "reusegraph sync: --due and --watch sync every source due by its schedule;"
            " name no SOURCE with them (or leave them out to sync the SOURCEs named now)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    url = resolve_database(settings).url
    tracing.configure()  # a sync from the CLI is traced like the server's, remotes included

    bars: dict[str, Progress] = {}

    def progress(run: RunResult) -> None:
        if run.source not in bars:
            for earlier in bars.values():
                earlier.close()
            bars[run.source] = Progress(None, run.source, unit="pages")
        bars[run.source].update(run.pages)

    while True:
        results = asyncio.run(
            source_admin.run_sync(
                url,
                args.sources,
                force=args.force,
                due_only=args.due or args.watch is not None,
                on_progress=progress,
            )
        )
        for bar in bars.values():
            bar.close()
        bars.clear()
        for run in results:
            detail = f": {run.error}" if run.error else ""
            print(
                f"{run.source}: {run.outcome} ({run.pages} pages, {run.counts()}){detail}",
                file=sys.stderr,
            )
            if run.fields and args.watch is None:
                print(f"{run.source}: OS2autoproces fields:", file=sys.stderr)
                for name, outcomes in run.fields.items():
                    told = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items())
                    print(f"  {name}: {told}", file=sys.stderr)
        if args.watch is None:
            break
        time.sleep(args.watch)
    if any(run.outcome in (RunOutcome.UNKNOWN, RunOutcome.NOT_MIRRORED) for run in results):
        raise SystemExit(2)
    if any(run.outcome is RunOutcome.FAILED for run in results):
        raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="reusegraph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"reusegraph {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server (embedded PostgreSQL by default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument(
        "--migrate", action="store_true", help="upgrade an external database's schema first"
    )
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(run=_migrate)
    commands.add_parser("demo", help="load the demo data into an empty database").set_defaults(
        run=_demo
    )
    commands.add_parser("schema", help="print the GraphQL schema (SDL)").set_defaults(run=_schema)
    _add_export_command(commands)
    _add_import_command(commands)
    _add_dev_token_command(commands)
    _add_source_command(commands)
    _add_municipality_command(commands)
    _add_sync_command(commands)

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        parser.exit(2, f"reusegraph: {error}\n")
    try:
        args.run(args, settings)
    except SettingsError as error:  # found only when a command needs it (no database)
        parser.exit(2, f"reusegraph: {error}\n")
    except BrokenPipeError:
        # The reader stopped early (`... | head`): end as shell tools do, without a
        # traceback, and without a second error when Python flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(141) from None
