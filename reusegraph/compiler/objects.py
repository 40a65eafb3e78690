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
    """A to-one object read by a scalar subquery; ``{t}`` the parent, ``{a}`` the child."""

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        a = scope.alias("n")
        body = object_json(scope, type_name, nodes, a)
        return f"(SELECT {body} {from_where.format(t=t, a=a)})"

    return write


def inline(type_name: str) -> Writer:
    """A to-one object made of the parent's own columns (``Assessment``, ``Contact``)."""

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        return object_json(scope, type_name, nodes, t)

    return write


def listed(type_name: str, from_where: str, order: str) -> Writer:
    """A list read by a subquery aggregated in ``order``."""

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        a = scope.alias("l")
        body = object_json(scope, type_name, nodes, a)
        where = from_where.format(t=t, a=a)
        return f"(SELECT coalesce(json_agg({body} ORDER BY {order.format(a=a)}), '[]') {where})"

    return write


def register(type_name: str, specs: dict[str, Spec]) -> None:
    FIELDS.setdefault(type_name, {}).update(specs)
