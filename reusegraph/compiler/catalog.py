"""Vendors, framework agreements and network meetings on the compiled path: their types,
``Process.vendor`` and ``Process.agreement``.

The rules are the store's: an agreement's end is ``store.agreements.term_end``, "in force"
is ``in_force``, options left ``has_options_left``, rendered here with the day bound per
request (today is the server's ``date.today()``, as the executor's). Which processes a
vendor delivered or a meeting discussed is left to row-level security, as everywhere on
this path. The roots are in ``catalog_roots``.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from graphql import FieldNode
from sqlalchemy import ColumnElement, Date, FromClause, bindparam
from sqlalchemy.dialects import postgresql

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.objects import Spec, listed, nested, object_json, register
from reusegraph.compiler.roots import _process_query
from reusegraph.compiler.selection import Scope, read
from reusegraph.compiler.sql import Args, Source
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.filters import expiry_day
from reusegraph.store.agreements import A as AGREEMENT
from reusegraph.store.agreements import has_options_left, in_force, term_end
from reusegraph.store.processes import P as PROCESS
from reusegraph.store.processes import process_filters

_MARK = "t_"


def _template(expression: Callable[[FromClause], ColumnElement[Any]]) -> str:
    """A store expression over one agreement row as a spec (``{t}`` its alias); its
    constants rendered inline, so it is the same text in every plan."""
    rendered = expression(AGREEMENT.alias(_MARK)).compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    return str(rendered).replace(f"{_MARK}.", "{t}.")


_ENDS = _template(term_end)
"""The first day no longer in force, with the options exercised so far."""
_ENDS_AT_MOST = _template(lambda table: term_end(table, every_option=True))


def _municipality(column: str) -> Spec:
    return nested("Municipality", "FROM municipality {a} WHERE {a}.code = {t}." + column)


def _day(site: int, argument: str) -> Source:
    """The day an argument names, or today (the executor's default)."""

    def day(args: Args) -> date:
        chosen = args[site].get(argument)
        return chosen if chosen is not None else date.today()

    return day


def _agreement_status(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    site, _now = scope.arguments("FrameworkAgreement", nodes[0])
    day = scope.params.add(_day(site, "on"), "date")
    return (
        f"CASE WHEN {t}.terminated_on IS NOT NULL AND {t}.terminated_on <= {day}"
        f" THEN 'TERMINATED' WHEN {day} < {t}.start_date THEN 'PLANNED'"
        f" WHEN {day} < ({_ENDS.format(t=t)}) THEN 'ACTIVE' ELSE 'EXPIRED' END"
    )


def _vendor_agreements(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    """``Vendor.agreements``: the executor filters the vendor's agreements in Python with
    ``in_force_on``; here its SQL twin ``in_force`` filters them in the statement."""
    site, now = scope.arguments("Vendor", nodes[0])
    a = scope.alias("a")
    table = AGREEMENT.alias(a)
    day = _day(site, "activeOn")
    readers: dict[str, Source] = {"f_day": day}
    conditions: list[ColumnElement[bool]] = []
    expiring = now.get("expiringWithinMonths") is not None
    if now.get("activeOn") is not None or expiring:
        conditions.append(in_force(bindparam("f_day", type_=Date), table))
    if expiring:
        readers["f_gone"] = lambda args: expiry_day(
            day(args), args[site]["expiringWithinMonths"], "expiringWithinMonths"
        )
        conditions.append(~in_force(bindparam("f_gone", type_=Date), table))
    left = now.get("hasOptionsLeft")
    if left is not None:
        conditions.append(has_options_left(table) if left else ~has_options_left(table))
    where = "".join(f" AND ({scope.params.embed(c, table, readers)})" for c in conditions)
    body = object_json(scope, "FrameworkAgreement", nodes, a)
    return (
        f"(SELECT coalesce(json_agg({body} ORDER BY {a}.start_date DESC, {a}.id), '[]')"
        f" FROM agreement_vendor {a}l JOIN framework_agreement {a} ON {a}.id = {a}l.agreement_id"
        f" WHERE {a}l.vendor_id = {t}.id{where})"
    )


def _municipalities_served(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    """``store.vendors.municipalities_served`` for one vendor: owners of the processes it
    delivered (those the viewer may read) and parties of its agreements."""
    s = scope.alias("s")
    body = object_json(scope, "ServedMunicipality", nodes, s)
    return (
        f"(SELECT coalesce(json_agg({body} ORDER BY {s}.processes DESC, {s}.municipality_code),"
        " '[]') FROM (SELECT u.municipality_code, sum(u.processes) AS processes,"
        " bool_or(u.on_agreement) AS on_agreement FROM ("
        " SELECT p.municipality_code, count(*) AS processes, false AS on_agreement"
        f" FROM process p WHERE p.vendor_id = {t}.id GROUP BY p.municipality_code"
        " UNION ALL SELECT ap.municipality_code, 0, true FROM agreement_vendor av"
        " JOIN agreement_party ap ON ap.agreement_id = av.agreement_id"
        f" WHERE av.vendor_id = {t}.id) AS u GROUP BY u.municipality_code) AS {s})"
    )


def _processes_delivered(scope: Scope, nodes: list[FieldNode], t: str) -> str:
    """``Vendor.processesDelivered``: the filter is ``processes``' own (``process_filters``);
    ``first`` limits ``nodes`` only."""
    site, now = scope.arguments("Vendor", nodes[0])
    query, readers = _process_query(scope, site, now)
    conditions = [scope.params.embed(c, PROCESS, readers) for c in process_filters(query)]
    where = " AND ".join([f"process.vendor_id = {t}.id", *(f"({c})" for c in conditions)])
    pairs: list[str] = []
    for response_key, field_nodes in scope.collect(nodes, "DeliveredProcesses").items():
        name = field_nodes[0].name.value
        if name == "__typename":
            value = "'DeliveredProcesses'"
        elif name == "totalCount":
            value = f"(SELECT count(*) FROM process WHERE {where})"
        elif name == "realisedHoursSaved":
            value = _realised_hours(scope, field_nodes, where)
        elif name == "nodes":
            first = scope.params.add(lambda args: checked_first(args[site]["first"]), "int")
            d = scope.alias("d")  # not "process": an outer FROM of that name may take joins
            scope.open_joins(d)
            body = object_json(scope, "Process", field_nodes, d)
            value = (
                f"(SELECT coalesce(json_agg({body} ORDER BY {d}.updated_at DESC, {d}.id DESC),"
                f" '[]') FROM (SELECT process.* FROM process WHERE {where}"
                f" ORDER BY process.updated_at DESC, process.id DESC LIMIT {first}) AS {d}"
                f"{scope.joined(d)})"
            )
        else:
            raise NotCompilable(f"field DeliveredProcesses.{name}")
        pairs.append(f"'{response_key}', {value}")
    return "json_build_object(" + ", ".join(pairs) + ")"


def _realised_hours(scope: Scope, nodes: list[FieldNode], where: str) -> str:
    """``store.vendors.delivered_hours``: the rollups over all months, the MEASURED
    records themselves over a period."""
    site, now = scope.arguments("DeliveredProcesses", nodes[0])
    if now.get("from") is None and now.get("to") is None:
        total = (
            "SELECT sum(r.realised_hours) FROM process JOIN process_rollup r ON r.id = process.id"
            f" WHERE {where} AND r.measured_records > 0"
        )
    else:
        total = (
            "SELECT sum(b.hours_saved) FROM process"
            " JOIN benefit_record b ON b.process_id = process.id"
            f" WHERE {where} AND b.kind = 'MEASURED'"
        )
        if now.get("from") is not None:
            total += f" AND b.period >= {scope.params.add(read(site, 'from'), 'date')}"
        if now.get("to") is not None:
            total += f" AND b.period <= {scope.params.add(read(site, 'to'), 'date')}"
    return f"round(coalesce(({total}), 0)::numeric, 2)::float8"


register(
    "Process",
    {
        "vendor": nested("Vendor", "FROM vendor {a} WHERE {a}.id = {t}.vendor_id"),
        "agreement": nested(
            "FrameworkAgreement", "FROM framework_agreement {a} WHERE {a}.id = {t}.agreement_id"
        ),
    },
)
register(
    "Vendor",
    {
        "id": "'Vendor:' || {t}.id",
        "name": "{t}.name",
        "country": "{t}.country",
        "orgNumber": "{t}.org_number",
        "website": "{t}.website",
        "version": "{t}.version",
        "agreements": _vendor_agreements,
        "municipalitiesServed": _municipalities_served,
        "processesDelivered": _processes_delivered,
    },
)
register(
    "ServedMunicipality",
    {
        "processCount": "{t}.processes::int",
        "onAgreement": "{t}.on_agreement",
        "municipality": _municipality("municipality_code"),
    },
)
register(
    "FrameworkAgreement",
    {
        "id": "'FrameworkAgreement:' || {t}.id",
        "kind": "{t}.kind",
        "title": "{t}.title",
        "subject": "{t}.subject",
        "description": "{t}.description",
        "startDate": "{t}.start_date",
        "initialTermMonths": "{t}.initial_term_months",
        "optionMonths": "{t}.option_months",
        "optionsExercised": "{t}.options_exercised",
        "optionsLeft": "coalesce(cardinality({t}.option_months), 0) - {t}.options_exercised",
        "signedOn": "{t}.signed_on",
        "terminatedOn": "{t}.terminated_on",
        "endDate": f"(({_ENDS})::date - 1)",
        "maxEndDate": f"(({_ENDS_AT_MOST})::date - 1)",
        "version": "{t}.version",
        "status": _agreement_status,
        "parties": listed(
            "Municipality",
            "FROM agreement_party {a}l JOIN municipality {a} ON {a}.code = {a}l.municipality_code"
            " WHERE {a}l.agreement_id = {t}.id",
            "{a}.code",
        ),
        "vendors": listed(
            "Vendor",
            "FROM agreement_vendor {a}l JOIN vendor {a} ON {a}.id = {a}l.vendor_id"
            " WHERE {a}l.agreement_id = {t}.id",
            "{a}.name",
        ),
        "documents": listed(
            "AgreementDocument",
            "FROM agreement_document {a} WHERE {a}.agreement_id = {t}.id",
            "{a}.title, {a}.id",
        ),
    },
)
register("AgreementDocument", {"title": "{t}.title", "kind": "{t}.kind", "url": "{t}.url"})
register(
    "NetworkMeeting",
    {
        "id": "'NetworkMeeting:' || {t}.id",
        "title": "{t}.title",
        "heldOn": "{t}.held_on",
        "topics": "{t}.topics",
        "externalParticipants": "{t}.external_participants",
        "outcome": "{t}.outcome",
        "version": "{t}.version",
        "host": _municipality("host_code"),
        "participants": listed(
            "Municipality",
            "FROM meeting_participant {a}l"
            " JOIN municipality {a} ON {a}.code = {a}l.municipality_code"
            " WHERE {a}l.meeting_id = {t}.id",
            "{a}.code",
        ),
        "itSystems": listed(
            "ItSystem",
            "FROM meeting_it_system {a}l JOIN it_system {a} ON {a}.code = {a}l.it_system_code"
            " WHERE {a}l.meeting_id = {t}.id",
            "{a}.code",
        ),
        "processesDiscussed": listed(
            "Process",
            "FROM meeting_process {a}l JOIN process {a} ON {a}.id = {a}l.process_id"
            " WHERE {a}l.meeting_id = {t}.id",
            "{a}.id",
        ),
        "presentations": listed(
            "Presentation",
            "FROM meeting_presentation {a} WHERE {a}.meeting_id = {t}.id",
            "{a}.title, {a}.id",
        ),
    },
)
register(
    "Presentation",
    {
        "title": "{t}.title",
        "presenter": _municipality("presenter_code"),
        "process": nested("Process", "FROM process {a} WHERE {a}.id = {t}.process_id"),
    },
)
