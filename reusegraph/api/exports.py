"""``GET /export/processes.{csv,json,xlsx}``: the processes list as a file, streamed.

The query parameters are the filters of ``processes`` (repeat a parameter, or separate
values with commas, for "any of"); the CLI's ``reusegraph export`` parses its flags into
the same parameters. A wrong parameter is a 400 whose JSON body names it and says what is
allowed, before any row is read. Rows come from a server-side cursor and are encoded as
they arrive, so memory stays flat however many rows match; visibility and the redaction
of internal fields are applied in the SQL for the caller that ``principal_of`` returns.
"""

import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, BinaryIO

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from reusegraph.auth.principal import Principal
from reusegraph.schema.core.inputs import kind_of, string_problem
from reusegraph.schema.filters import KLE_PREFIX, MAX_SEARCH_LENGTH, MUNICIPALITY_CODE
from reusegraph.store import catalog
from reusegraph.store.engine import Database, Reader
from reusegraph.store.enums import Country, Domain, Phase, Status
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.exports.formats import MEDIA_TYPES, Format, encode
from reusegraph.store.exports.rows import export_rows
from reusegraph.store.models import ItSystem, Municipality, Technology
from reusegraph.store.processes import ProcessQuery

PrincipalOf = Callable[[Request], Awaitable[Principal]]
PARAMETERS = (
    "municipality",
    "country",
    "phase",
    "status",
    "domain",
    "technology",
    "itSystem",
    "vendor",
    "kle",
    "updatedSince",
    "hasReuse",
    "search",
)


class ExportParameterError(ValueError):
    """A filter parameter the client must fix: which one, and what is allowed."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.allowed = list(allowed)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": "BAD_USER_INPUT",
            "message": str(self),
            "parameter": self.parameter,
        }
        if self.allowed:
            body["allowed"] = self.allowed
        return body


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [v.strip() for raw in params.get(name, ()) for v in raw.split(",") if v.strip()]


def _members(params: Mapping[str, Sequence[str]], name: str, enum: type[StrEnum]) -> list[str]:
    values = _values(params, name)
    allowed = [member.value for member in enum]
    for value in values:
        if value not in allowed:
            raise ExportParameterError(name, f"{name}: {value!r} is not allowed", allowed)
    return values


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    given = list(params.get(name, ()))
    if len(given) > 1:
        raise ExportParameterError(name, f"{name} may be given once; got {len(given)} values")
    return given[0] if given and given[0].strip() else None


def parse_filters(params: Mapping[str, Sequence[str]]) -> ProcessQuery:
    """Parameters (name -> raw values) to a query; the codes are checked by ``check_codes``."""
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ExportParameterError(unknown[0], f"unknown parameter {unknown[0]!r}", [*PARAMETERS])
    for name, given in params.items():  # the input rules of every GraphQL argument
        kind = kind_of("ID" if name == "vendor" else "String", name)
        for value in given:
            problem = string_problem(value, kind, name)
            if problem is not None:
                raise ExportParameterError(name, problem)
    municipalities = _values(params, "municipality")
    for code in municipalities:
        if not MUNICIPALITY_CODE.match(code):
            raise ExportParameterError(
                "municipality",
                f"municipality: {code!r} is not a municipality code; codes are"
                " <country>-<number>, e.g. DK-0746 or NO-5001",
            )
    kle = _values(params, "kle")
    for prefix in kle:
        if not KLE_PREFIX.match(prefix):
            raise ExportParameterError(
                "kle", f"kle: {prefix!r} is not a KLE prefix; use NN, NN.NN or NN.NN.NN"
            )
    return ProcessQuery(
        municipalities=municipalities or None,
        countries=_members(params, "country", Country) or None,
        phases=_members(params, "phase", Phase) or None,
        statuses=_members(params, "status", Status) or None,
        domains=_members(params, "domain", Domain) or None,
        technologies=_values(params, "technology") or None,
        it_systems=_values(params, "itSystem") or None,
        vendors=[_vendor(v) for v in _values(params, "vendor")] or None,
        kle_prefixes=kle or None,
        updated_since=_moment(_single(params, "updatedSince")),
        has_reuse=_boolean(_single(params, "hasReuse")),
        search=_search(_single(params, "search")),
    )


def _vendor(value: str) -> uuid.UUID:
    key = value.removeprefix("Vendor:")
    try:
        return uuid.UUID(key)
    except ValueError:
        raise ExportParameterError(
            "vendor", f"vendor: {value!r} is not a vendor id (expected 'Vendor:<uuid>')"
        ) from None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExportParameterError(
            "updatedSince",
            f"updatedSince: {value!r} is not a date or time; use ISO 8601, e.g. 2025-01-31"
            " or 2025-01-31T12:00:00Z",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _boolean(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ExportParameterError("hasReuse", f"hasReuse: {value!r} is not allowed", ["true", "false"])


def _search(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_SEARCH_LENGTH:
        raise ExportParameterError(
            "search", f"search is {len(value)} characters; at most {MAX_SEARCH_LENGTH} are allowed"
        )
    return value


async def check_codes(reader: Reader, query: ProcessQuery) -> None:
    """Unknown codes would silently match nothing: say which, and where to look them up."""
    checks = (
        ("municipality", Municipality.__table__, query.municipalities, "municipalities"),
        ("technology", Technology.__table__, query.technologies, "technologies"),
        ("itSystem", ItSystem.__table__, query.it_systems, "itSystems"),
    )
    for parameter, table, codes, listing in checks:
        if not codes:
            continue
        unknown = await catalog.unknown_codes(reader, table, list(codes))
        if unknown:
            raise ExportParameterError(
                parameter,
                f"{parameter}: unknown {', '.join(map(repr, unknown))}; the GraphQL query"
                f" `{listing}` lists the codes",
            )


async def export_file(
    db: Database,
    viewer: Principal,
    query: ProcessQuery,
    format: Format,
    on_rows: Callable[[int], None] | None = None,
) -> AsyncIterator[bytes]:
    """The encoded file, in chunks, read in one transaction as ``viewer``."""
    async with db.read(viewer) as reader:
        rows = export_rows(reader, viewer, query, csv_lines=format is Format.CSV)
        async for chunk in encode(format, _counted(rows, on_rows) if on_rows else rows):
            yield chunk


async def _counted(
    batches: AsyncIterator[Sequence[Any]], on_rows: Callable[[int], None]
) -> AsyncIterator[Sequence[Any]]:
    total = 0
    async for batch in batches:
        total += len(batch)
        on_rows(total)
        yield batch


async def run_export(
    database_url: str,
    viewer: Principal,
    params: Mapping[str, Sequence[str]],
    format: Format,
    output: str | None,
    *,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """The CLI's export: the same parameters and checks as the endpoint; returns the rows.

    ``output`` is a file name (created only once the parameters are known to be good) or
    None for standard output.
    """
    counted = [0]

    def count(rows: int) -> None:
        counted[0] = rows
        if on_rows is not None:
            on_rows(rows)

    db = Database(database_url, pool_size=1)
    try:
        query = parse_filters(params)
        async with db.read(viewer) as reader:
            await check_codes(reader, query)
            member_of = [viewer.municipality] if viewer.municipality else []
            if await catalog.unknown_codes(reader, Municipality.__table__, member_of):
                raise ExportParameterError(
                    "member-of", f"member-of: unknown municipality {viewer.municipality!r}"
                )
        out: BinaryIO = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115, ASYNC230
        try:
            async for chunk in export_file(db, viewer, query, format, count):
                out.write(chunk)
        finally:
            if output:
                out.close()
            else:
                out.flush()
    finally:
        await db.dispose()
    return counted[0]


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class ProcessExport:
    """The endpoint. ``principal_of`` says who is asking (it may raise an error with a
    ``status`` of 401 or 403, which is passed on)."""

    def __init__(self, db: Database, principal_of: PrincipalOf) -> None:
        self.db = db
        self.principal_of = principal_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        try:
            format = Format(request.path_params.get("format", ""))
        except ValueError:
            allowed = [f"/export/processes.{f.value}" for f in Format]
            return _json({"message": "no such export", "allowed": allowed}, 404)
        try:
            viewer = await self.principal_of(request)
        except Exception as error:
            status = getattr(error, "status", None)
            if not isinstance(status, int) or not 400 <= status < 600:
                raise
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return _json({"message": str(error) or "not allowed"}, status, headers)
        params = {key: request.query_params.getlist(key) for key in request.query_params}
        try:
            query = parse_filters(params)
            async with self.db.read(viewer) as reader:
                await check_codes(reader, query)
        except ExportParameterError as error:
            return _json(error.body(), 400)
        except DatabaseUnavailable:
            return _json({"message": "The database is unavailable; try again."}, 503)
        return StreamingResponse(
            export_file(self.db, viewer, query, format),
            media_type=MEDIA_TYPES[format],
            headers={
                "Content-Disposition": f'attachment; filename="processes-{date.today()}.{format}"'
            },
        )
