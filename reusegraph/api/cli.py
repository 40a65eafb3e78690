"""The ``reusegraph`` command. Parses arguments and calls the packages; no logic of its own."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace

from reusegraph import __version__
from reusegraph.api.settings import Settings, SettingsError


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
    asyncio.run(
        prepare(
            database.url,
            migrate=database.embedded is not None,
            load_demo_data=True,
            say=Say(),
            verbose=True,
        )
    )


def _schema(args: argparse.Namespace, settings: Settings) -> None:
    from reusegraph.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


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

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        parser.exit(2, f"reusegraph: {error}\n")
    args.run(args, settings)
