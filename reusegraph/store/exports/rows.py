"""The export's rows, streamed from a server-side cursor in the request's own transaction.

``DECLARE ... CURSOR`` inside the reader's transaction (so the caller's row-level security
and snapshot apply) and ``FETCH`` in batches: PostgreSQL sorts once and Python holds one
batch at a time, whatever the number of rows. The visibility predicate and the redaction
of internal fields are in the SQL, as in every read. Realised hours and the IT-system and
technology codes come from ``process_rollup``: one narrow row per process instead of its
benefit records and link rows. The codes become names here, from the two vocabularies read
once (in the database's collation order): a subquery per row and vocabulary was 40% of
the statement's time for every process. For CSV, ``csv_line_statement`` has PostgreSQL
write the lines themselves (``cells``).
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Numeric,
    Select,
    String,
    Text,
    case,
    cast,
    column,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, array
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.exports.cells import (
    ListCells,
    cell,
    concatenated,
    joined,
    labelled_items,
)
from reusegraph.store.exports.columns import COLUMNS
from reusegraph.store.models import (
    ItSystem,
    Municipality,
    Process,
    ProcessAttachment,
    ProcessLink,
    ProcessRollup,
    Technology,
    Vendor,
)
from reusegraph.store.processes import EXPECTED_HOURS, ProcessQuery
from reusegraph.store.processes import _conditions as process_conditions

P = Process.__table__
R = ProcessRollup.__table__
M = Municipality.__table__
V = Vendor.__table__
BATCH_SIZE = 1000
CURSORS = {False: "export_rows", True: "export_lines"}
"""The same cursor names for every export (one per read transaction): the same DECLARE and
FETCH text each time, so the driver reuses its prepared statements instead of parsing
them again. One name per shape of row, as the driver keeps FETCH's row description."""


class _DeclareCursor(Executable, ClauseElement):
    """``DECLARE <name> NO SCROLL CURSOR FOR <select>``, with the select's parameters bound.

    Cached like the select itself: compiling the export's statement cost a municipality's
    export more than encoding its rows."""

    inherit_cache = True
    _traverse_internals = [
        ("name", InternalTraversal.dp_string),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, name: str, query: Select[Any]) -> None:
        self.name = name
        self.query = query


@compiles(_DeclareCursor, "postgresql")
def _declare(element: _DeclareCursor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"DECLARE {element.name} NO SCROLL CURSOR FOR {compiler.process(element.query, **kw)}"


class _Names:
    """A vocabulary's names by code, sorted as ``ORDER BY name`` sorts them in SQL."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.ranked = {code: (rank, name) for rank, (code, name) in enumerate(rows)}

    def of(self, codes: Sequence[str] | None) -> list[str] | None:
        """None for no names, as ``array_agg`` over no rows."""
        found = sorted(self.ranked[c] for c in codes or () if c in self.ranked)
        return [name for _, name in found] or None


async def _vocabulary(reader: Reader, table: Any) -> _Names:
    statement = select(table.c.code, table.c.name).order_by(table.c.name, table.c.code)
    return _Names((await reader.execute(statement)).all())


def export_statement(viewer: Principal, query: ProcessQuery) -> Select[Any]:
    """The columns of ``COLUMNS`` (labelled by key), sorted by municipality, title, id;
    IT systems and technologies as codes (``export_rows`` names them)."""
    own: ColumnElement[bool] = false()
    if viewer.municipality is not None and viewer.is_member_of(viewer.municipality):
        own = P.c.municipality_code == viewer.municipality

    def internal(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return case((own, column), else_=null())

    link, attachment = ProcessLink.__table__, ProcessAttachment.__table__
    links = (
        select(func.array_agg(aggregate_order_by(link.c.url, link.c.url)))
        .where(link.c.process_id == P.c.id, or_(own, link.c.internal.is_(False)))
        .scalar_subquery()
    )
    attachments = (
        select(func.array_agg(aggregate_order_by(attachment.c.file_name, attachment.c.file_name)))
        .where(attachment.c.process_id == P.c.id, or_(own, attachment.c.shared.is_(True)))
        .scalar_subquery()
    )
    realised = case((R.c.measured_records > 0, R.c.realised_hours), else_=null())
    manual = cast(P.c.runs_per_year, Float) * cast(P.c.minutes_per_run, Float) / 60.0
    values: dict[str, ColumnElement[Any]] = {
        "id": cast(P.c.id, String),
        "title": P.c.title,
        "summary": P.c.summary,
        "phase": P.c.phase,
        "status": P.c.status,
        "statusText": P.c.status_text,
        "reporter": internal(P.c.reporter),
        "owner": internal(P.c.owner),
        "contactName": P.c.contact_name,
        "contactEmail": P.c.contact_email,
        "otherContactEmail": P.c.other_contact_email,
        "coEditors": internal(P.c.co_editors),
        "visibility": P.c.visibility,
        "domains": P.c.domains,
        "department": P.c.department,
        "municipalityName": M.c.name,
        "vendor": V.c.name,
        "legalClause": P.c.legal_clause,
        "kle": P.c.kle,
        "klId": P.c.kl_id,
        "kla": P.c.kla,
        "description": P.c.description,
        "solutionRequests": P.c.solution_requests,
        "processChallenges": P.c.process_challenges,
        "itSystems": R.c.it_systems,
        "otherItSystems": null(),
        "createdAt": P.c.created_at,
        "updatedAt": P.c.updated_at,
        "runsPerYear": P.c.runs_per_year,
        "minutesPerRun": P.c.minutes_per_run,
        "automationPercentage": P.c.automation_percentage,
        "manualHoursPerYear": func.round(cast(manual, Numeric()), 2),
        "expectedHoursPerYear": func.round(cast(EXPECTED_HOURS, Numeric()), 2),
        "employeesDoingProcess": P.c.employees_doing_process,
        "targetsCitizens": P.c.targets_citizens,
        "targetsCompanies": P.c.targets_companies,
        "developmentHours": P.c.development_hours,
        "timeSpendComment": P.c.time_spend_comment,
        "levelOfProfessionalAssessment": P.c.level_of_professional_assessment,
        "levelOfChange": P.c.level_of_change,
        "levelOfStructuredInformation": P.c.level_of_structured_information,
        "levelOfUniformity": P.c.level_of_uniformity,
        "levelOfDigitalInformation": P.c.level_of_digital_information,
        "levelOfQuality": P.c.level_of_quality,
        "levelOfSpeed": P.c.level_of_speed,
        "levelOfRoutineWorkReduction": P.c.level_of_routine_work_reduction,
        "evaluatedLevelOfRoi": P.c.evaluated_level_of_roi,
        "technicalImplementationNotes": P.c.technical_implementation_notes,
        "organizationalImplementationNotes": P.c.organizational_implementation_notes,
        "technologies": R.c.technologies,
        "runPeriod": P.c.run_period,
        "services": cast(null(), ARRAY(Text)),
        "automationDescription": P.c.automation_description,
        "rating": P.c.rating,
        "legalClauseLastVerified": P.c.legal_clause_last_verified,
        "putIntoOperation": P.c.put_into_operation,
        "decommissioned": P.c.decommissioned,
        "ratingComment": P.c.rating_comment,
        "caseReference": internal(P.c.esdh_reference),
        "links": func.array_remove(func.array_cat(array([P.c.code_repository_url]), links), null()),
        "attachments": attachments,
        "internalNotes": internal(P.c.internal_notes),
        "municipalityCode": P.c.municipality_code,
        "country": M.c.country,
        "orgNumber": M.c.org_number,
        "type": P.c.type,
        "form": P.c.form,
        "kCodes": P.c.k_codes,
        "realisedHoursSaved": realised,
        "sourceId": P.c.source_id,
        "sourceUrl": P.c.source_url,
    }
    assert list(values) == [c.key for c in COLUMNS], "export columns and SQL out of step"
    return (
        select(*(value.label(key) for key, value in values.items()))
        .select_from(
            P.join(M, M.c.code == P.c.municipality_code)
            .join(R, R.c.id == P.c.id)
            .outerjoin(V, V.c.id == P.c.vendor_id)
        )
        .where(*process_conditions(viewer, query))
        .order_by(P.c.municipality_code, P.c.title, P.c.id)
    )


def csv_line_statement(viewer: Principal, query: ProcessQuery) -> Select[Any]:
    """``export_statement``'s rows as pieces of CSV lines (``cells``): the text between the
    lists finished in Python, and those lists' items joined by ``cells.SEPARATOR``.

    The cells are formatted above the sort (a subquery with ORDER BY is not flattened),
    so each FETCH formats its own rows while Python writes the previous batch. (With one
    municipality PostgreSQL sorts the lines once more, as the municipality is a constant
    inside: about a millisecond for its thousand lines.)
    """
    rows = export_statement(viewer, query).add_columns(P.c.id.label("sortId")).subquery(_ROWS)
    pieces: list[ColumnElement[Any]] = [literal_column(piece) for piece in _LINE_PIECES]
    return (
        select(*pieces)
        .select_from(rows)
        .order_by(rows.c.municipalityCode, rows.c.title, rows.c.sortId)
    )


def _line_pieces() -> list[str]:
    """The SQL of ``csv_line_statement``'s columns, compiled once: built and compiled per
    request, their two thousand expression nodes took longer than a municipality's rows."""
    rows = table(_ROWS, *(column(c.key) for c in COLUMNS))
    pieces: list[ColumnElement[Any]] = []
    between: list[ColumnElement[Any]] = []
    for one in COLUMNS:
        if one.key in _FINISHED_IN_PYTHON:
            pieces += [concatenated(between), joined(rows.c[one.key])]
            between = []
        else:
            between.append(cell(one, rows.c[one.key], plain=one.key in _PLAIN))
    pieces.append(concatenated(between))
    dialect = registry.load("postgresql.asyncpg")()
    return [str(p.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for p in pieces]


async def export_rows(
    reader: Reader,
    viewer: Principal,
    query: ProcessQuery,
    *,
    batch_size: int = BATCH_SIZE,
    csv_lines: bool = False,
) -> AsyncIterator[Sequence[Any]]:
    """Batches of rows (lists in ``COLUMNS`` order), at most ``batch_size`` each; with
    ``csv_lines``, each row is its line of the CSV file (str, with its line break).

    The next batch is fetched while the caller encodes this one, so PostgreSQL and Python
    work at the same time.
    """
    it_systems = await _vocabulary(reader, ItSystem.__table__)
    technologies = await _vocabulary(reader, Technology.__table__)
    finish: Callable[[Any], Any]
    if csv_lines:
        statement = csv_line_statement(viewer, query)
        finish = _line_finisher(it_systems, technologies)
    else:
        statement = export_statement(viewer, query)
        finish = _typed_finisher(it_systems, technologies)
    name = CURSORS[csv_lines]
    await reader.execute(_DeclareCursor(name, statement))
    fetch = text(f"FETCH FORWARD {int(batch_size)} FROM {name}")
    pending: asyncio.Future[Any] | None = asyncio.ensure_future(reader.execute(fetch))
    try:
        while pending is not None:
            rows = (await pending).all()
            pending = None
            if len(rows) == batch_size:
                pending = asyncio.ensure_future(reader.execute(fetch))
                await asyncio.sleep(0)  # let it send the FETCH before the caller encodes
            if rows:
                yield [finish(row) for row in rows]
    finally:
        if pending is not None:  # the caller stopped early: let the FETCH in flight end
            await asyncio.wait([pending])  # (cancelled, it would leave the connection unusable)
            if not pending.cancelled():
                pending.exception()
    await reader.execute(text(f"CLOSE {name}"))


def _typed_finisher(it_systems: _Names, technologies: _Names) -> Callable[[Any], list[Any]]:
    def finish(record: Any) -> list[Any]:
        row = list(record)
        row[_IT_SYSTEMS] = it_systems.of(row[_IT_SYSTEMS])
        row[_TECHNOLOGIES] = technologies.of(row[_TECHNOLOGIES])
        return row

    return finish


def _line_finisher(it_systems: _Names, technologies: _Names) -> Callable[[Any], str]:
    """A line from ``csv_line_statement``'s pieces: text, domains, text, IT systems, text,
    technologies, text."""
    domains = ListCells(labelled_items(COLUMNS[_KEYS.index("domains")].labels or {}))
    systems = ListCells(lambda codes: it_systems.of(codes) or ())
    techniques = ListCells(lambda codes: technologies.of(codes) or ())

    def finish(p: Any) -> str:
        pieces = (p[0], domains(p[1]), p[2], systems(p[3]), p[4], techniques(p[5]), p[6])
        return ",".join(pieces) + "\r\n"

    return finish


_KEYS = [c.key for c in COLUMNS]
_IT_SYSTEMS, _TECHNOLOGIES = _KEYS.index("itSystems"), _KEYS.index("technologies")
_FINISHED_IN_PYTHON = ("domains", "itSystems", "technologies")
assert [k for k in _KEYS if k in _FINISHED_IN_PYTHON] == list(_FINISHED_IN_PYTHON)
_PLAIN = {"id", "municipalityCode", "country", "type"}
"""A UUID, a code the database checks (``^[A-Z]{2}-[0-9]{3,4}$``) and two enum keys."""
_ROWS = "export_rows"
_LINE_PIECES = _line_pieces()
