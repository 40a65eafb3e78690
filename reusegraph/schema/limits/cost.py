"""What an operation costs, estimated from the parsed document before anything runs.

The model is GitHub's and Shopify's: points per object. Every object the answer can hold
costs one point (a scalar or enum value costs nothing: it comes with its object), so a
list of objects costs its length times what one item costs, and nested lists multiply.
The length of a list is its worst case, taken from the document alone:

- a field with a ``first`` argument: ``first`` (or its default), for the field and for the
  lists it pages (a connection's ``edges`` and ``nodes``, ``DeliveredProcesses.nodes``,
  ``ReuseGraph.links``, ``ChangeFeed.upserts``);
- an unpaged list: the documented bound in ``LIST_BOUNDS`` (``DEFAULT_LIST_BOUND`` for
  the others);
- ``benefitSummary``: its groups are the product of the chosen dimensions' bounds
  (``DIMENSION_BOUNDS``, or the number of values its filter allows, or the months of its
  ``from``-``to`` range), and a group's ``series`` is as long as that range.

Fields with the same response key are merged, as execution merges them; aliases are
separate fields and add up; fragments are followed; a field of an interface or union type
costs what its costliest possible type costs. A mutation costs ``MUTATION_COST`` on top of
its payload. ``cost_table`` is the README's table of these numbers (a test keeps them in
step).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.language import OperationType as AstOperationType

DEFAULT_FIRST = 50
"""``first`` left out or null: the server's page size (``schema.core.pagination``)."""

FIRST_DEFAULTS = {"Query.changes": 100}
"""Fields whose server-side default page differs from ``DEFAULT_FIRST``."""

FIRST_MAXIMA = {"Query.changes": 1000}
"""A ``first`` outside 0..its maximum is refused by the field itself: it costs nothing."""
MAX_FIRST = 500

DEFAULT_LIST_BOUND = 10
"""An unpaged list of objects not in ``LIST_BOUNDS``."""

MONTHS_UNBOUNDED = 120
"""Months assumed for a monthly series or a MONTH dimension without a from-to range."""
RECORD_MONTHS_UNBOUNDED = 60
"""Months of benefit records assumed for one process without a from-to range."""
YEARS_UNBOUNDED = 10

LIST_BOUNDS: dict[str, int] = {
    "Query.itSystems": 500,
    "Query.technologies": 200,
    "Query.sources": 200,
    "Municipality.itSystems": 100,
    "Municipality.technologies": 50,
    "ReuseTally.municipalities": 100,
    "Process.reusedBy": 20,
    "Lineage.ancestors": 50,
    "Lineage.descendants": 100,
    "FrameworkAgreement.parties": 50,
    "FrameworkAgreement.vendors": 20,
    "NetworkMeeting.participants": 50,
    "NetworkMeeting.processesDiscussed": 50,
    "NetworkMeeting.presentations": 20,
    "SharedProblem.municipalities": 50,
    "SharedProblem.alsoUsedBy": 100,
    "SharedProblem.meetings": 50,
    "SharedProblem.processesDiscussed": 50,
    "ReuseLeaderboardEntry.reusedBy": 50,
    "ReuseGraph.municipalityLinks": 500,
    "Vendor.agreements": 20,
    "Vendor.municipalitiesServed": 100,
    "BenefitGroup.money": 5,
    "BenefitTotals.money": 5,
    "BenefitMonth.money": 5,
}
"""Documented worst cases of unpaged lists (``Type.field``: items)."""

PAGED_BY_PARENT = {
    "DeliveredProcesses.nodes": 1,
    "ReuseGraph.links": 1,
    "ReuseGraph.processes": 2,
    "ChangeFeed.upserts": 1,
    "ChangeFeed.tombstones": 1,
}
"""Lists as long as the ``first`` of the field that returned their object (times this);
every ``*Connection``'s ``edges`` and ``nodes`` too."""

DIMENSION_BOUNDS = {
    "MUNICIPALITY": 1200,
    "COUNTRY": 5,
    "DOMAIN": 15,
    "TECHNOLOGY": 50,
    "VENDOR": 200,
    "YEAR": YEARS_UNBOUNDED,
    "MONTH": MONTHS_UNBOUNDED,
    "KIND": 2,
    "PROCESS": 20000,
}
"""benefitSummary's dimensions: how many values each can take (Nordic municipalities,
the enums, the vocabularies), unless ``filter`` narrows it."""

DIMENSION_FILTERS = {
    "MUNICIPALITY": "municipality",
    "COUNTRY": "country",
    "DOMAIN": "domain",
    "TECHNOLOGY": "technology",
    "VENDOR": "vendor",
    "KIND": "kind",
    "PROCESS": "process",
}

MUTATION_COST = 10
"""A write: its own transaction, audit row and receipt."""

INTROSPECTION_COST = 1000
"""``__schema`` or ``__type``: bounded by the schema, about this many objects."""

MAX_FIELDS = 20000
"""Fields the estimate visits at most (fragments expanded); more is refused outright."""

REPORTED_MAXIMUM = 10**15
"""Costs above this are reported as this (JSON numbers stay exact)."""


class TooManyFields(Exception):
    """The document expands to more fields than ``MAX_FIELDS``."""


@dataclass(frozen=True)
class Estimate:
    cost: int
    """Points: objects the answer can hold at most."""
    costliest: tuple[tuple[str, int], ...] = ()
    """The top-level fields (response keys) with their costs, costliest first."""


@dataclass
class _Scope:
    page: int | None = None
    """``first`` of the field that returned the current object."""
    months: int | None = None
    """Length of a benefitSummary group's series."""


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    visited: int = 0
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def selections(
        self,
        parent: GraphQLObjectType,
        sets: Iterable[SelectionSetNode],
        multiplier: int,
        scope: _Scope,
    ) -> dict[str, int]:
        """Cost of each response key of ``sets`` on an object of type ``parent``."""
        costs: dict[str, int] = {}
        for key, nodes in self._collect(parent, sets).items():
            costs[key] = self._field(parent, nodes, multiplier, scope)
        return costs

    def _field(
        self, parent: GraphQLObjectType, nodes: list[FieldNode], multiplier: int, scope: _Scope
    ) -> int:
        self.visited += 1
        if self.visited > MAX_FIELDS:
            raise TooManyFields
        name = nodes[0].name.value
        if name == "__typename":
            return 0
        if name.startswith("__"):
            return multiplier * INTROSPECTION_COST
        definition = parent.fields[name]
        qualified = f"{parent.name}.{name}"
        args = self._arguments(definition, nodes[0])
        named = get_named_type(definition.type)
        base = multiplier * MUTATION_COST if parent is self.schema.mutation_type else 0
        if is_leaf_type(named):
            return base
        child = _Scope(months=scope.months)
        if "first" in definition.args:
            child.page = _first(qualified, args.get("first"))
            if child.page is None:
                return base  # refused by the field itself before anything below it runs
        length = 1
        if _is_list(definition):
            length = self._length(parent, qualified, args, scope, child)
        items = multiplier * length
        children = [n.selection_set for n in nodes if n.selection_set is not None]
        worst = 0
        for runtime in self._possible(named):
            worst = max(worst, sum(self.selections(runtime, children, items, child).values()))
        return base + items + worst

    def _length(
        self,
        parent: GraphQLObjectType,
        qualified: str,
        args: dict[str, Any],
        scope: _Scope,
        child: _Scope,
    ) -> int:
        special = _SPECIAL.get(qualified)
        if special is not None:
            return special(self, args, scope, child)
        if child.page is not None:
            return child.page
        per_page = PAGED_BY_PARENT.get(qualified)
        if per_page is None and parent.name.endswith("Connection"):
            per_page = 1 if qualified.split(".")[1] in ("edges", "nodes") else None
        if per_page is not None and scope.page is not None:
            return per_page * scope.page
        return LIST_BOUNDS.get(qualified, DEFAULT_LIST_BOUND)

    def _possible(self, named: Any) -> list[GraphQLObjectType]:
        if is_abstract_type(named):
            abstract: GraphQLAbstractType = named
            return list(self.schema.get_possible_types(abstract))
        return [named]

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, argument in definition.args.items():
            if argument.default_value is not Undefined:
                values[name] = argument.default_value
        for argument_node in node.arguments or ():
            value = value_from_ast_untyped(argument_node.value, self.variables)
            if value is not Undefined:
                values[argument_node.name.value] = value
        return values

    def _collect(
        self, parent: GraphQLObjectType, sets: Iterable[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        grouped: dict[str, list[FieldNode]] = {}
        self._visit(parent, sets, grouped, set())
        return grouped

    def _visit(
        self,
        parent: GraphQLObjectType,
        sets: Iterable[SelectionSetNode],
        grouped: dict[str, list[FieldNode]],
        spread: set[str],
    ) -> None:
        for selection_set in sets:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or self._applies(condition.name.value, parent):
                        self._visit(parent, [selection.selection_set], grouped, spread)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in spread or fragment is None:
                        continue
                    spread.add(name)
                    if self._applies(fragment.type_condition.name.value, parent):
                        self._visit(parent, [fragment.selection_set], grouped, spread)

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        if condition == parent.name:
            return True
        target = self.schema.get_type(condition)
        return is_abstract_type(target) and self.schema.is_sub_type(target, parent)  # type: ignore[arg-type]

    def _included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = True
            for argument in directive.arguments or ():
                if argument.name.value == "if":
                    condition = bool(value_from_ast_untyped(argument.value, self.variables))
            if (name == "skip") == condition:
                return False
        return True


def _is_list(definition: GraphQLField) -> bool:
    kind = definition.type
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return is_list_type(kind)


def _first(qualified: str, value: Any) -> int | None:
    """The page size; None for one outside 0..maximum, which the field refuses itself."""
    if not isinstance(value, int) or isinstance(value, bool):
        return FIRST_DEFAULTS.get(qualified, DEFAULT_FIRST)
    if not 0 <= value <= FIRST_MAXIMA.get(qualified, MAX_FIRST):
        return None
    return value


def _span(start: Any, end: Any, now: datetime) -> tuple[int, int] | None:
    """First and last month ('YYYY-MM', inclusive) as month numbers; None without a start.

    Without an end the range runs to this month."""
    first, last = _month_number(start), _month_number(end)
    if first is None:
        return None
    if last is None:
        last = now.year * 12 + now.month - 1
    return first, max(first, last)


def _months(start: Any, end: Any, now: datetime) -> int | None:
    span = _span(start, end, now)
    return None if span is None else span[1] - span[0] + 1


def _month_number(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) < 7:
        return None
    try:
        year, month = int(value[:4]), int(value[5:7])
    except ValueError:
        return None
    if not 1 <= month <= 12:
        return None
    return year * 12 + month - 1


def _summary_groups(walk: _Walk, args: dict[str, Any], scope: _Scope, child: _Scope) -> int:
    """benefitSummary: the product of the chosen dimensions' cardinalities."""
    group_by = args.get("groupBy")
    dimensions = (
        {d for d in group_by if isinstance(d, str)} if isinstance(group_by, list) else set()
    )
    if isinstance(group_by, str):
        dimensions = {group_by}
    raw_filter = args.get("filter")
    filters: dict[str, Any] = raw_filter if isinstance(raw_filter, dict) else {}
    span = _span(filters.get("from"), filters.get("to"), walk.now)
    months = None if span is None else span[1] - span[0] + 1
    groups = 1
    for dimension in sorted(dimensions):
        bound = DIMENSION_BOUNDS.get(dimension, 1)
        allowed = filters.get(DIMENSION_FILTERS.get(dimension, ""))
        if isinstance(allowed, list):
            bound = min(bound, max(1, len(allowed)))
        if dimension == "MONTH" and months is not None:
            bound = months
        if dimension == "YEAR" and span is not None:
            bound = span[1] // 12 - span[0] // 12 + 1
        groups *= bound
    child.months = months if months is not None else MONTHS_UNBOUNDED
    if "MONTH" in dimensions:
        child.months = 1
    elif "YEAR" in dimensions:
        child.months = min(child.months, 12)
    return groups


def _series(walk: _Walk, args: dict[str, Any], scope: _Scope, child: _Scope) -> int:
    months = MONTHS_UNBOUNDED if scope.months is None else scope.months
    child.months = months
    return months


def _records(walk: _Walk, args: dict[str, Any], scope: _Scope, child: _Scope) -> int:
    """Process.benefits: a record per month and kind."""
    months = _months(args.get("from"), args.get("to"), walk.now)
    kinds = 1 if args.get("kind") else 2
    return kinds * (RECORD_MONTHS_UNBOUNDED if months is None else months)


def _entities(walk: _Walk, args: dict[str, Any], scope: _Scope, child: _Scope) -> int:
    representations = args.get("representations")
    return len(representations) if isinstance(representations, list) else 1


_Special = Callable[[_Walk, dict[str, Any], _Scope, _Scope], int]
_SPECIAL: dict[str, _Special] = {
    "Query.benefitSummary": _summary_groups,
    "BenefitGroup.series": _series,
    "BenefitTotals.series": _series,
    "Process.benefits": _records,
    "FeedProcess.benefits": _records,
    "Query._entities": _entities,
}
SPECIAL_RULES = {
    "Query.benefitSummary": "product of the groupBy dimensions' bounds",
    "BenefitGroup.series": "months of filter.from-to (1 grouped by MONTH, 12 by YEAR)",
    "BenefitTotals.series": "as BenefitGroup.series",
    "Process.benefits": f"months of from-to (else {RECORD_MONTHS_UNBOUNDED}), times 2 kinds"
    " without kind",
    "FeedProcess.benefits": "as Process.benefits",
    "Query._entities": "number of representations",
}


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    now: datetime | None = None,
) -> Estimate:
    """The operation's cost; raises ``TooManyFields`` for a document too big to estimate.

    The document must be valid (run after validation); an operation that cannot be
    chosen costs nothing here, since execution refuses it before any resolver runs.
    """
    operation = _operation(document, operation_name)
    if operation is None:
        return Estimate(0)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, _variables(operation, variables or {}))
    if now is not None:
        walk.now = now
    root = _root_type(schema, operation)
    if root is None:
        return Estimate(0)
    costs = walk.selections(root, [operation.selection_set], 1, _Scope())
    total = sum(costs.values())
    costliest = sorted(costs.items(), key=lambda kv: -kv[1])[:3]
    return Estimate(
        min(total, REPORTED_MAXIMUM),
        tuple((k, min(v, REPORTED_MAXIMUM)) for k, v in costliest),
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _root_type(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> GraphQLObjectType | None:
    if operation.operation == AstOperationType.MUTATION:
        return schema.mutation_type
    if operation.operation == AstOperationType.SUBSCRIPTION:
        return schema.subscription_type
    return schema.query_type


def _variables(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


def cost_table() -> list[tuple[str, str]]:
    """The README's table: every rule of the estimate, as (field, items)."""
    rows = [
        ("object (any field of object type, per item)", "1 point"),
        ("scalar or enum field", "0"),
        ("mutation field", f"{MUTATION_COST} + its payload"),
        ("`__schema`, `__type`", str(INTROSPECTION_COST)),
        ("field with `first`", f"`first` (default {DEFAULT_FIRST}, at most {MAX_FIRST})"),
    ]
    for name, default in FIRST_DEFAULTS.items():
        most = FIRST_MAXIMA.get(name, MAX_FIRST)
        rows.append((f"`{name}`", f"`first` (default {default}, at most {most})"))
    rows += [
        ("`*Connection.edges`, `*Connection.nodes`", "the connection's `first`"),
    ]
    for name, times in PAGED_BY_PARENT.items():
        rows.append((f"`{name}`", "its parent's `first`" + (f" x {times}" if times > 1 else "")))
    for name, rule in SPECIAL_RULES.items():
        rows.append((f"`{name}`", rule))
    for name, bound in sorted(LIST_BOUNDS.items()):
        rows.append((f"`{name}`", str(bound)))
    rows.append(("any other list of objects", str(DEFAULT_LIST_BOUND)))
    for dimension, bound in DIMENSION_BOUNDS.items():
        narrowed = DIMENSION_FILTERS.get(dimension)
        how = f" (or the values in filter.{narrowed})" if narrowed else " (or filter.from-to)"
        rows.append((f"benefitSummary dimension `{dimension}`", f"{bound}{how}"))
    return rows
