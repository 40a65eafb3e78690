"""The field specification of the compiled path: each GraphQL field's SQL.

Plain fields are the store's columns; rules that both read paths apply are rendered
from the store's own expressions (``store.visibility.sees_internals``), not rewritten.
"""

from graphql import FieldNode

from reusegraph.compiler.objects import Spec, inline, listed, nested, object_json, register
from reusegraph.compiler.selection import Scope, read
from reusegraph.compiler.sql import iso_datetime
from reusegraph.store.enums import ASSESSMENT_FIELDS
from reusegraph.store.models import Process
from reusegraph.store.processes import INTERNAL_COLUMNS
from reusegraph.store.visibility import sees_internals

_MARK = "t_"
_OWN = str(
    sees_internals(Process.__table__.alias(_MARK)).compile(compile_kwargs={"literal_binds": True})
).replace(f"{_MARK}.", "{t}.")


def _internal(column: str) -> str:
    return f"CASE WHEN {_OWN} THEN {{t}}.{column} END"


def _columns(names: dict[str, str]) -> dict[str, Spec]:
    return {field: f"{{t}}.{column}" for field, column in names.items()}


_PROCESS_TEXT = {
    name: name
    for name in [
        "title",
        "summary",
        "description",
        "department",
        "domains",
        "kle",
        "form",
        "kla",
        "version",
        "phase",
        "status",
        "visibility",
        "type",
    ]
}
_PROCESS_COLUMNS = {
    **_PROCESS_TEXT,
    "processChallenges": "process_challenges",
    "solutionRequests": "solution_requests",
    "automationDescription": "automation_description",
    "technicalImplementationNotes": "technical_implementation_notes",
    "organizationalImplementationNotes": "organizational_implementation_notes",
    "statusText": "status_text",
    "ratingComment": "rating_comment",
    "timeSpendComment": "time_spend_comment",
    "searchWords": "search_words",
    "kCodes": "k_codes",
    "klId": "kl_id",
    "sepMep": "sep_mep",
    "legalClause": "legal_clause",
    "legalClauseLastVerified": "legal_clause_last_verified",
    "runPeriod": "run_period",
    "runsPerYear": "runs_per_year",
    "employeesDoingProcess": "employees_doing_process",
    "automationPercentage": "automation_percentage",
    "targetsCitizens": "targets_citizens",
    "targetsCompanies": "targets_companies",
    "putIntoOperation": "put_into_operation",
    "decommissioned": "decommissioned",
    "codeRepositoryUrl": "code_repository_url",
    "sourceId": "source_id",
    "sourceUrl": "source_url",
    "extras": "extras",
}
_INTERNAL_FIELDS = {
    "internalNotes": "internal_notes",
    "caseReference": "esdh_reference",
    "reporter": "reporter",
    "owner": "owner",
    "coEditors": "co_editors",
}
assert set(_INTERNAL_FIELDS.values()) == set(INTERNAL_COLUMNS)

_EXPECTED_HOURS = (
    "round({t}.runs_per_year * {t}.minutes_per_run * {t}.automation_percentage / 6000.0, 2)::float8"
)


def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


_MUNICIPALITY = nested(
    "Municipality", "FROM municipality {a} WHERE {a}.code = {t}.municipality_code"
)


def _process_in(column: str) -> Spec:
    return nested("Process", "FROM process {a} WHERE {a}.id = {t}." + column)


def _links(end: str) -> Spec:
    return listed(
        "ReuseLink",
        "FROM reuse_link {a} WHERE {a}." + end + " = {t}.id",
        "{a}.reused_on ASC NULLS LAST, {a}.id",
    )


def _kind_condition(
    scope: Scope, site: int, now: dict[str, object], alias: str, default: str | None
) -> str:
    kind = now.get("kind")
    if kind is None and default is None:
        return ""

    def value(args: list[dict[str, object]]) -> str:
        chosen = args[site].get("kind")
        return str(chosen.value) if chosen is not None else str(default)  # type: ignore[attr-defined]

    return f" AND {alias}.kind = {scope.params.add(value, 'text')}"


def _benefits(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    site, now = scope.arguments("Process", nodes[0])
    b = scope.alias("b")
    where = f"{b}.process_id = {t}.id" + _kind_condition(scope, site, now, b, None)
    if now.get("from") is not None:
        where += f" AND {b}.period >= {scope.params.add(read(site, 'from'), 'date')}"
    if now.get("to") is not None:
        where += f" AND {b}.period <= {scope.params.add(read(site, 'to'), 'date')}"
    body = object_json(scope, "BenefitRecord", nodes, b)
    # Only ``fte`` reads the municipality (``{b}m``); a join per process costs 2 µs.
    fte_year = f" JOIN municipality {b}m ON {b}m.code = {t}.municipality_code"
    return (
        f"(SELECT coalesce(json_agg({body} ORDER BY {b}.period, {b}.kind), '[]')"
        f" FROM benefit_record {b}{fte_year if f'{b}m.' in body else ''} WHERE {where})"
    )


def _benefit_series(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    b = scope.alias("s")
    site, now = scope.arguments("Process", nodes[0])
    where = f"{b}.process_id = {t}.id" + _kind_condition(scope, site, now, b, "MEASURED")
    columns = {
        "months": f"to_char({b}.period, 'YYYY-MM')",
        "hoursSaved": f"{b}.hours_saved::float8",
        "cases": f"{b}.cases",
    }
    pairs = []
    for response_key, field_nodes in scope.collect(nodes, "BenefitSeries").items():
        name = field_nodes[0].name.value
        if name == "__typename":
            pairs.append(f"'{response_key}', 'BenefitSeries'")
            continue
        pairs.append(
            f"'{response_key}', (SELECT coalesce(json_agg({columns[name]}"
            f" ORDER BY {b}.period, {b}.kind), '[]') FROM benefit_record {b} WHERE {where})"
        )
    return "json_build_object(" + ", ".join(pairs) + ")"


def _money(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    body = object_json(scope, "Money", nodes, t)
    return f"CASE WHEN {t}.money_amount IS NULL THEN NULL ELSE {body} END"


def _total_hours(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    b = scope.alias("h")
    site, now = scope.arguments("Process", nodes[0])
    condition = _kind_condition(scope, site, now, b, "MEASURED")
    return (
        f"(SELECT coalesce(sum({b}.hours_saved), 0)::float8 FROM benefit_record {b}"
        f" WHERE {b}.process_id = {t}.id{condition})"
    )


register(
    "Process",
    {
        **_columns(_PROCESS_COLUMNS),
        **{field: _internal(column) for field, column in _INTERNAL_FIELDS.items()},
        "id": "'Process:' || {t}.id",
        "minutesPerRun": "{t}.minutes_per_run::float8",
        "developmentHours": "{t}.development_hours::float8",
        "syncedAt": iso_datetime("{t}.synced_at"),
        "createdAt": iso_datetime("{t}.created_at"),
        "updatedAt": iso_datetime("{t}.updated_at"),
        "expectedHoursPerYear": _EXPECTED_HOURS,
        "assessment": inline("Assessment"),
        "contact": inline("Contact"),
        "municipality": _MUNICIPALITY,
        "itSystems": listed(
            "ItSystem",
            "FROM process_it_system {a}l JOIN it_system {a} ON {a}.code = {a}l.it_system_code"
            " WHERE {a}l.process_id = {t}.id",
            "{a}.name",
        ),
        "technologies": listed(
            "Technology",
            "FROM process_technology {a}l JOIN technology {a} ON {a}.code = {a}l.technology_code"
            " WHERE {a}l.process_id = {t}.id",
            "{a}.name",
        ),
        "reusedFrom": _links("derived_id"),
        "reusedBy": _links("origin_id"),
        "benefits": _benefits,
        "benefitSeries": _benefit_series,
        "totalHoursSaved": _total_hours,
    },
)
register(
    "Assessment",
    {**{_camel(level): "{t}." + level for level in ASSESSMENT_FIELDS}, "rating": "{t}.rating"},
)
register(
    "Contact",
    {
        "name": "{t}.contact_name",
        "email": "{t}.contact_email",
        "otherContactEmail": "{t}.other_contact_email",
    },
)
register(
    "Municipality",
    {
        **_columns(
            {
                "code": "code",
                "name": "name",
                "country": "country",
                "orgNumber": "org_number",
                "region": "region",
                "populationBand": "population_band",
                "currency": "currency",
                "note": "note",
                "version": "version",
            }
        ),
        "id": "'Municipality:' || {t}.code",
        "fteHoursPerYear": "coalesce({t}.fte_hours_per_year, 0)::float8",
        "processCount": "(SELECT count(*) FROM process c WHERE c.municipality_code = {t}.code)",
        "mergedInto": nested(
            "Municipality", "FROM municipality {a} WHERE {a}.code = {t}.merged_into_code"
        ),
        "itSystems": listed(
            "ItSystem",
            "FROM municipality_it_system {a}l JOIN it_system {a} ON {a}.code = {a}l.it_system_code"
            " WHERE {a}l.municipality_code = {t}.code",
            "{a}.name",
        ),
        "technologies": listed(
            "Technology",
            "FROM municipality_technology {a}l"
            " JOIN technology {a} ON {a}.code = {a}l.technology_code"
            " WHERE {a}l.municipality_code = {t}.code",
            "{a}.name",
        ),
    },
)
register(
    "ItSystem",
    _columns(
        {"code": "code", "name": "name", "supplier": "supplier", "description": "description"}
    ),
)
register("Technology", _columns({"code": "code", "name": "name"}))
register(
    "BenefitRecord",
    {
        "period": "to_char({t}.period, 'YYYY-MM')",
        "kind": "{t}.kind",
        "cases": "{t}.cases",
        "hoursSaved": "{t}.hours_saved::float8",
        "money": _money,
        "note": "{t}.note",
        "fte": "round(({t}.hours_saved::float8 * 12 / {t}m.fte_hours_per_year::float8)::numeric,"
        " 3)::float8",
    },
)
register("Money", {"amount": "{t}.money_amount::float8", "currency": "{t}.currency"})
register(
    "ReuseLink",
    {
        "id": "{t}.id::text",
        "kind": "{t}.kind",
        "note": "{t}.note",
        "reusedOn": "{t}.reused_on",
        "origin": _process_in("origin_id"),
        "derived": _process_in("derived_id"),
    },
)
