"""Root fields: ``processes``, ``process``, ``node``, ``municipality``, ``municipalities``.

Arguments are checked per request by the executor's own checks (``checked_first``,
``decode_cursor``, ``parse_uuid_id`` ...); one that refuses raises, and the executor then
answers the request with exactly its usual error.
"""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import FieldNode
from sqlalchemy import ARRAY, DateTime, Float, String, Text, Uuid, bindparam

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.objects import object_json
from reusegraph.compiler.selection import Scope
from reusegraph.compiler.sql import Args, Source, base64url, iso_datetime, json_object
from reusegraph.schema.core.ids import parse_global_id, parse_uuid_id
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.filters import check_municipality_code, check_search
from reusegraph.store.municipalities import ORDER as MUNICIPALITY_ORDER
from reusegraph.store.pagination import decode_cursor
from reusegraph.store.processes import P as PROCESS
from reusegraph.store.processes import ProcessOrder, ProcessQuery, process_filters, sort_key

Root = Callable[[Scope, list[FieldNode]], str]

_ORDERS = {
    ProcessOrder.UPDATED_AT: ("process.updated_at", "timestamptz"),
    ProcessOrder.CREATED_AT: ("process.created_at", "timestamptz"),
    ProcessOrder.TITLE: ("process.title", "text"),
}
_LIST_FILTERS = {
    "country": "countries",
    "phase": "phases",
    "status": "statuses",
    "domain": "domains",
}
_REGISTRY_FILTERS = {
    "municipality": ("municipalities", "municipality"),
    "technology": ("technologies", "technology"),
    "itSystem": ("it_systems", "it_system"),
}
"""Filters naming codes that must exist: checked by a guard in the statement, so an
unknown code sends the request to the executor, which names it in its error."""
_FILTERS = {*_LIST_FILTERS, *_REGISTRY_FILTERS, "vendor", "updatedSince", "hasReuse"}


def _enum_values(site: int, argument: str, name: str) -> Source:
    return lambda args: [str(v.value) for v in args[site][argument][name]]


def _codes(site: int, name: str) -> Source:
    def codes(args: Args) -> list[str]:
        values = [str(v) for v in args[site]["filter"][name]]
        if name == "municipality":
            for code in values:
                check_municipality_code(code, "filter.municipality")
        return values

    return codes


def _process_query(
    scope: Scope, site: int, now: dict[str, Any]
) -> tuple[ProcessQuery, dict[str, Source]]:
    given = {k: v for k, v in (now.get("filter") or {}).items() if v is not None and v != []}
    unknown = set(given) - _FILTERS
    if unknown:
        raise NotCompilable(f"filter {', '.join(sorted(unknown))} (checked against the registry)")
    readers: dict[str, Source] = {}
    fields: dict[str, Any] = {}
    for name, attribute in _LIST_FILTERS.items():
        if name in given:
            readers[f"f_{name}"] = _enum_values(site, "filter", name)
            fields[attribute] = bindparam(f"f_{name}", type_=ARRAY(String))
    for name, (attribute, table) in _REGISTRY_FILTERS.items():
        if name in given:
            codes = _codes(site, name)
            readers[f"f_{name}"] = codes
            fields[attribute] = bindparam(f"f_{name}", type_=ARRAY(String))
            listed = scope.params.add(codes, "text[]")
            scope.guards.append(
                f"NOT EXISTS (SELECT 1 FROM unnest({listed}) AS given(code)"
                f" WHERE given.code NOT IN (SELECT code FROM {table}))"
            )
    if "vendor" in given:
        readers["f_vendor"] = lambda args: [
            parse_uuid_id(str(v), "Vendor", "filter.vendor") for v in args[site]["filter"]["vendor"]
        ]
        fields["vendors"] = bindparam("f_vendor", type_=ARRAY(Uuid))
    if "updatedSince" in given:
        readers["f_updated"] = lambda args: args[site]["filter"]["updatedSince"]
        fields["updated_since"] = bindparam("f_updated", type_=DateTime(timezone=True))
    if "hasReuse" in given:
        fields["has_reuse"] = bool(given["hasReuse"])
    if check_search(now.get("search")) is not None:
        readers["f_search"] = lambda args: check_search(args[site]["search"])
        fields["search"] = bindparam("f_search", type_=Text)
    return ProcessQuery(**fields), readers


def _order(now: dict[str, Any], searching: bool) -> tuple[ProcessOrder, bool]:
    order = now.get("orderBy")
    if order is None:
        return (ProcessOrder.RELEVANCE if searching else ProcessOrder.UPDATED_AT), True
    field = order["field"]
    if field not in _ORDERS and field not in _FLOAT_ORDERS:
        raise NotCompilable(f"order {field.value}")
    if field is ProcessOrder.RELEVANCE and not searching:
        raise NotCompilable("RELEVANCE without a search: the executor refuses it")
    return field, order["direction"].value == "DESC"


_FLOAT_ORDERS = {ProcessOrder.RELEVANCE, ProcessOrder.EXPECTED_HOURS_PER_YEAR}


def _float_json(value: str) -> str:
    """A float8 as orjson writes a Python float: shortest round trip, and ``.0`` on whole
    numbers (PostgreSQL writes ``100`` where Python writes ``100.0``)."""
    return (
        f"CASE WHEN {value} = trunc({value}) AND abs({value}) < 1e16"
        f" THEN trunc({value})::bigint::text || '.0' ELSE {value}::text END"
    )


def _known_arguments(now: dict[str, Any], known: set[str], field: str) -> None:
    """An argument this compiler does not know (one added since) sends the operation to
    the executor rather than being ignored."""
    unknown = sorted(name for name, value in now.items() if value is not None and name not in known)
    if unknown:
        raise NotCompilable(f"{field}({', '.join(unknown)}:)")


def processes(scope: Scope, nodes: list[FieldNode]) -> str:
    site, now = scope.arguments("Query", nodes[0])
    _known_arguments(now, {"filter", "search", "orderBy", "first", "after"}, "processes")
    query, readers = _process_query(scope, site, now)
    order, descending = _order(now, query.search is not None)
    conditions = [scope.params.embed(c, PROCESS, readers) for c in process_filters(query)]
    if order in _FLOAT_ORDERS:
        sort = "(" + scope.params.embed(sort_key(order, query).cast(Float), PROCESS, readers) + ")"
        sort_type = "float8"
    else:
        sort, sort_type = _ORDERS[order]
    first = scope.params.add(lambda args: checked_first(args[site]["first"]), "int")
    if now.get("after") is not None:

        def cursor(args: Args) -> tuple[Any, uuid.UUID]:
            value, key = decode_cursor(args[site]["after"], order.value)
            if sort_type == "timestamptz" and not isinstance(value, datetime):
                raise ValueError("cursor value is not a time")
            return value, uuid.UUID(key)

        value = scope.params.add(lambda args: cursor(args)[0], sort_type)
        key = scope.params.add(lambda args: cursor(args)[1], "uuid")
        conditions.append(f"({sort}, process.id) {'<' if descending else '>'} ({value}, {key})")
    where = " WHERE " + " AND ".join(f"({c})" for c in conditions) if conditions else ""
    direction = "DESC" if descending else "ASC"
    page = (
        f"SELECT process.* FROM process{where}"
        f" ORDER BY {sort} {direction}, process.id {direction} LIMIT {first} + 1"
    )
    sort_json = {
        "timestamptz": iso_datetime(sort),
        "float8": _float_json(sort),
        "text": f"to_json({sort})::text",
    }[sort_type]
    sort_json = (
        f"'{{\"t\":\"' || {sort_json} || '\"}}'" if sort_type == "timestamptz" else sort_json
    )
    cursor_text = base64url(f"'[\"{order.value}\",' || {sort_json} || ',\"' || process.id || '\"]'")
    return _connection(
        scope,
        nodes,
        "ProcessConnection",
        table="process",
        page=page,
        row_order=f"{sort} {direction}, process.id {direction}",
        cursor=cursor_text,
        node=lambda field_nodes: object_json(scope, "Process", field_nodes, "process"),
        count=f"(SELECT count(*) FROM process{where})",
        first=first,
        after_given=now.get("after") is not None,
    )


def _connection(
    scope: Scope,
    nodes: list[FieldNode],
    type_name: str,
    *,
    table: str,
    page: str,
    row_order: str,
    cursor: str,
    node: Callable[[list[FieldNode]], str],
    count: str,
    first: str,
    after_given: bool,
) -> str:
    scope.open_joins(table)
    columns = ["row_number() OVER (ORDER BY " + row_order + ") AS _n", cursor + " AS _c"]
    pairs: list[tuple[str, str]] = []
    within = f"FILTER (WHERE _n <= {first})"
    edge_type = type_name.removesuffix("Connection") + "Edge"
    for response_key, field_nodes in scope.collect(nodes, type_name).items():
        name = field_nodes[0].name.value
        if name == "__typename":
            pairs.append((response_key, f"'{type_name}'"))
        elif name == "totalCount":
            pairs.append((response_key, count))
        elif name == "nodes":
            columns.append(f"{node(field_nodes)} AS _j{len(columns)}")
            pairs.append(
                (
                    response_key,
                    f"coalesce(json_agg(_j{len(columns) - 1} ORDER BY _n) {within}, '[]')",
                )
            )
        elif name == "edges":
            edge: list[tuple[str, str]] = []
            for edge_key, edge_nodes in scope.collect(field_nodes, edge_type).items():
                edge_field = edge_nodes[0].name.value
                if edge_field == "__typename":
                    edge.append((edge_key, f"'{edge_type}'"))
                elif edge_field == "cursor":
                    edge.append((edge_key, "_c"))
                else:
                    columns.append(f"{node(edge_nodes)} AS _j{len(columns)}")
                    edge.append((edge_key, f"_j{len(columns) - 1}"))
            pairs.append(
                (
                    response_key,
                    f"coalesce(json_agg({json_object(edge)} ORDER BY _n) {within}, '[]')",
                )
            )
        elif name == "pageInfo":
            pairs.append((response_key, _page_info(scope, field_nodes, within, first, after_given)))
        else:
            raise NotCompilable(f"field {type_name}.{name}")
    return (
        f"(SELECT {json_object(pairs)} FROM (SELECT {', '.join(columns)}"
        f" FROM ({page}) AS {table}{scope.joined(table)}) AS page GROUP BY ())"
    )


def _page_info(
    scope: Scope, nodes: list[FieldNode], within: str, first: str, after_given: bool
) -> str:
    values = {
        "__typename": "'PageInfo'",
        "hasNextPage": f"count(*) > {first}",
        "hasPreviousPage": "true" if after_given else "false",
        "startCursor": f"(array_agg(_c ORDER BY _n) {within})[1]",
        "endCursor": f"(array_agg(_c ORDER BY _n DESC) {within})[1]",
    }
    return json_object(
        [(k, values[n[0].name.value]) for k, n in scope.collect(nodes, "PageInfo").items()]
    )


def process(scope: Scope, nodes: list[FieldNode]) -> str:
    site, _now = scope.arguments("Query", nodes[0])
    key = scope.params.add(lambda args: parse_uuid_id(str(args[site]["id"]), "Process"), "uuid")
    scope.open_joins("process")
    body = object_json(scope, "Process", nodes, "process")
    return f"(SELECT {body} FROM process{scope.joined('process')} WHERE process.id = {key})"


def municipality(scope: Scope, nodes: list[FieldNode]) -> str:
    site, _now = scope.arguments("Query", nodes[0])

    def code(args: Args) -> str:
        value = str(args[site]["code"])
        check_municipality_code(value, "code")
        return value

    key = scope.params.add(code, "text")
    scope.open_joins("municipality")
    body = object_json(scope, "Municipality", nodes, "municipality")
    joins = scope.joined("municipality")
    return f"(SELECT {body} FROM municipality{joins} WHERE municipality.code = {key})"


def node(scope: Scope, nodes: list[FieldNode]) -> str:
    """One statement for every type the id may name: each branch matches only its own."""
    site, _now = scope.arguments("Query", nodes[0])

    def part(type_name: str) -> Source:
        def value(args: Args) -> str | None:
            kind, key = parse_global_id(str(args[site]["id"]))
            if kind not in ("Process", "Municipality"):
                raise ValueError("the executor answers other types")
            if kind != type_name:
                return None
            if kind == "Process":
                return str(parse_uuid_id(str(args[site]["id"]), "Process"))
            return key

        return value

    process_key = scope.params.add(part("Process"), "uuid")
    code = scope.params.add(part("Municipality"), "text")
    scope.open_joins("process")
    as_process = object_json(scope, "Process", nodes, "process")
    process_joins = scope.joined("process")
    scope.open_joins("municipality")
    as_municipality = object_json(scope, "Municipality", nodes, "municipality")
    municipality_joins = scope.joined("municipality")
    return (
        f"coalesce((SELECT {as_process} FROM process{process_joins}"
        f" WHERE process.id = {process_key}),"
        f" (SELECT {as_municipality} FROM municipality{municipality_joins}"
        f" WHERE municipality.code = {code}))"
    )


def municipalities(scope: Scope, nodes: list[FieldNode]) -> str:
    site, now = scope.arguments("Query", nodes[0])
    _known_arguments(now, {"first", "after"}, "municipalities")
    first = scope.params.add(lambda args: checked_first(args[site]["first"]), "int")
    conditions = ""
    if now.get("after") is not None:

        def after(args: Args) -> str:
            return str(decode_cursor(args[site]["after"], MUNICIPALITY_ORDER)[1])

        conditions = f" WHERE municipality.code > {scope.params.add(after, 'text')}"
    return _connection(
        scope,
        nodes,
        "MunicipalityConnection",
        table="municipality",
        page=f"SELECT municipality.* FROM municipality{conditions}"
        f" ORDER BY municipality.code LIMIT {first} + 1",
        row_order="municipality.code",
        cursor=base64url(
            f'\'["{MUNICIPALITY_ORDER}","\' || municipality.code'
            " || '\",\"' || municipality.code || '\"]'"
        ),
        node=lambda field_nodes: object_json(scope, "Municipality", field_nodes, "municipality"),
        count="(SELECT count(*) FROM municipality)",
        first=first,
        after_given=now.get("after") is not None,
    )


ROOTS: dict[str, Root] = {
    "processes": processes,
    "process": process,
    "node": node,
    "municipality": municipality,
    "municipalities": municipalities,
}
