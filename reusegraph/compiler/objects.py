"""An object's selection as ``json_build_object(...)``: one entry per field it asks for.

``FIELDS[type][field]`` is either SQL text over the object's row (``{t}`` is its alias)
or a function that writes the field (a nested object, a list, a field with arguments).
"""

from collections.abc import Callable

from graphql import FieldNode

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.selection import Scope
from reusegraph.compiler.sql import json_object

Writer = Callable[[Scope, list[FieldNode], str], str]
Spec = str | Writer
FIELDS: dict[str, dict[str, Spec]] = {}


def object_json(scope: Scope, type_name: str, nodes: list[FieldNode], t: str) -> str:
    specs = FIELDS.get(type_name)
    if specs is None:
        raise NotCompilable(f"type {type_name}")
    pairs: list[tuple[str, str]] = []
    for response_key, field_nodes in scope.collect(nodes, type_name).items():
        name = field_nodes[0].name.value
        if name == "__typename":
            pairs.append((response_key, f"'{type_name}'"))
            continue
        spec = specs.get(name)
        if spec is None:
            raise NotCompilable(f"field {type_name}.{name}")
        if field_nodes[0].arguments and isinstance(spec, str):
            raise NotCompilable(f"arguments on {type_name}.{name}")
        value = spec.format(t=t) if isinstance(spec, str) else spec(scope, field_nodes, t)
        pairs.append((response_key, value))
    return json_object(pairs)


def nested(type_name: str, from_where: str) -> Writer:
    """A to-one object; ``{t}`` the parent, ``{a}`` the child.

    Joined to the parent's FROM (``LEFT JOIN LATERAL``, which PostgreSQL flattens into a
    hash or nested-loop join) where that FROM takes joins, else a scalar subquery. The
    subquery is planned as a SubPlan run once per parent row: on a page of 500 processes
    their municipalities cost 2.5 µs a row that way, against 0.2 µs joined.
    """

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        a = scope.alias("n")
        scope.open_joins(a)
        body = object_json(scope, type_name, nodes, a)
        source = with_joins(from_where.format(t=t, a=a), scope.joined(a))
        if scope.join(t, f"LEFT JOIN LATERAL (SELECT {body} AS j {source}) {a}j ON true"):
            return f"{a}j.j"
        return f"(SELECT {body} {source})"

    return write


def with_joins(from_where: str, joins: str) -> str:
    """``joins`` placed after the FROM items of ``FROM ... WHERE ...``."""
    if not joins:
        return from_where
    head, found, tail = from_where.partition(" WHERE ")
    return f"{head}{joins}{found}{tail}"


def inline(type_name: str) -> Writer:
    """A to-one object made of the parent's own columns (``Assessment``, ``Contact``)."""

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        return object_json(scope, type_name, nodes, t)

    return write


def listed(type_name: str, from_where: str, order: str) -> Writer:
    """A list read by a subquery aggregated in ``order``."""

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        a = scope.alias("l")
        scope.open_joins(a)
        body = object_json(scope, type_name, nodes, a)
        where = with_joins(from_where.format(t=t, a=a), scope.joined(a))
        return f"(SELECT coalesce(json_agg({body} ORDER BY {order.format(a=a)}), '[]') {where})"

    return write


def register(type_name: str, specs: dict[str, Spec]) -> None:
    FIELDS.setdefault(type_name, {}).update(specs)
