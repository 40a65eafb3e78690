"""Plans: one SQL statement per operation, made once and kept per document and shape.

A plan depends on the document, the operation and the *shape* of the variables: which
are null, booleans (``@include(if:)``) and enum values (``orderBy.field``), never other
values, which are bound as parameters. A repeated query therefore costs a dictionary
look-up, the coercion of its variables and its arguments, and one statement.
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.validation import ASTValidationRule

from reusegraph.compiler import catalog as _catalog  # noqa: F401  (registers its specs)
from reusegraph.compiler import catalog_roots as _catalog_roots  # noqa: F401  (and roots)
from reusegraph.compiler import fields as _fields  # noqa: F401  (registers the field specs)
from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.freshness import FRESH
from reusegraph.compiler.roots import ROOTS
from reusegraph.compiler.selection import Scope
from reusegraph.compiler.sql import Params, json_object

CACHE_SIZE = 512


@dataclass(frozen=True)
class Plan:
    sql: str
    params: Params
    sites: Sequence[tuple[GraphQLField, FieldNode]]


@dataclass(frozen=True)
class CompiledAnswer:
    """What to run: the statement answers ``data`` as JSON text."""

    sql: str
    args: list[Any]


@dataclass(frozen=True)
class _Document:
    node: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    operations: dict[str | None, OperationDefinitionNode]


class Compiler:
    def __init__(
        self, schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]], max_tokens: int
    ) -> None:
        """``rules`` and ``max_tokens``: the executor's, so that both refuse alike."""
        self.schema = schema
        self.rules = list(rules)
        self.max_tokens = max_tokens
        self._documents: OrderedDict[str, _Document | None] = OrderedDict()
        self._plans: OrderedDict[tuple[Any, ...], Plan | str] = OrderedDict()
        self._constants: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        """A plan's parameter values when its operation declares no variables: they then
        come from the document's literals only, and coercing them again costs about a fifth
        of the compiled path's server CPU on a small page."""

    def compile(
        self, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> CompiledAnswer | str:
        """The statement for this request, or why the executor must answer it."""
        document = self._document(query)
        if document is None:
            return "the executor reports what is wrong with the document"
        operation = document.operations.get(operation_name)
        if operation is None:
            return "the executor reports which operation to run"
        if operation.operation is not OperationType.QUERY:
            return f"a {operation.operation.value}"
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            return "the executor reports the variables' errors"
        key = (query, operation_name, _shape(coerced))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(document, operation, coerced)
            _remember(self._plans, key, plan)
        if isinstance(plan, str):
            return plan
        constant = not operation.variable_definitions
        values = self._constants.get(key) if constant else None
        if values is None:
            try:
                args = [get_argument_values(d, n, coerced) for d, n in plan.sites]
                values = plan.params.values(args)
            except Exception:  # the executor's own check refused: it answers with its error
                return "an argument the executor refuses"
            if constant:
                _remember(self._constants, key, values)
        return CompiledAnswer(plan.sql, values)

    def _document(self, query: str) -> _Document | None:
        if query in self._documents:
            self._documents.move_to_end(query)
            return self._documents[query]
        try:
            node = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            found = None
        else:
            found = None if validate(self.schema, node, self.rules) else _split(node)
        _remember(self._documents, query, found)
        return found

    def _plan(
        self, document: _Document, operation: OperationDefinitionNode, variables: VariableValues
    ) -> Plan | str:
        scope = Scope(self.schema, document.fragments, variables)
        try:
            pairs: list[tuple[str, str]] = []
            for response_key, nodes in scope.collect_sets(
                [operation.selection_set], "Query"
            ).items():
                name = nodes[0].name.value
                if name == "__typename":
                    pairs.append((response_key, "'Query'"))
                    continue
                write = ROOTS.get(name)
                if write is None:
                    raise NotCompilable(f"root field {name}")
                pairs.append((response_key, write(scope, nodes)))
            sql = f"SELECT {json_object(pairs)}::text"
            scope.guards.append(FRESH)
            if scope.guards:
                sql = f"SELECT CASE WHEN {' AND '.join(scope.guards)} THEN ({sql}) END"
        except NotCompilable as refusal:
            return str(refusal)
        return Plan(sql, scope.params, tuple(scope.sites))


def _split(node: DocumentNode) -> _Document:
    fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
    operations: dict[str | None, OperationDefinitionNode] = {}
    for definition in node.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations[definition.name.value if definition.name else None] = definition
    if len(operations) == 1:
        operations[None] = next(iter(operations.values()))
    return _Document(node, fragments, operations)


def _shape(variables: VariableValues) -> tuple[Any, ...]:
    return tuple(
        (name, _value_shape(variables.coerced.get(name), source.signature.type))
        for name, source in sorted(variables.sources.items())
    )


def _value_shape(value: Any, kind: GraphQLInputType) -> Any:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if value is None:
        return None
    if isinstance(kind, GraphQLList):
        return "[]" if not value else "[...]"
    if isinstance(kind, GraphQLInputObjectType):
        return tuple(
            (name, _value_shape(value.get(name), field.type))
            for name, field in kind.fields.items()
            if name in value
        )
    if isinstance(kind, GraphQLEnumType) or isinstance(value, bool):
        return value
    if isinstance(value, str) and not value.strip():
        return ""
    return "?"


def _remember(cache: "OrderedDict[Any, Any]", key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
