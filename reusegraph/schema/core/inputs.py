"""Rules every input value obeys, whatever field takes it: one pass, not a check per field.

Before an operation runs, ``check_inputs`` walks each argument of the operation (and of
the fragments it uses) along the argument's input type, literals at once and variables
when their values arrive, and refuses with ``BAD_USER_INPUT`` naming the argument
(``filter.technology``, ``input.title``):

- a string (any scalar given as text, and every string inside a ``JSON`` value) that
  contains the NUL character, which PostgreSQL cannot store;
- a string longer than the maximum of its kind (``STRING_KINDS``);
- a ``first`` outside ``0..maximum`` (``MAX_FIRST``, or the field's own in
  ``FIRST_MAXIMUM``).

Field-specific rules (a title of at most 255 characters, a known municipality code) stay
with their fields; these are the ceilings under all of them. ``first: 0`` answers an
empty page everywhere: connections count without fetching, and list fields answer ``[]``
without running (``answer_empty_lists_for_first_zero``).

The same string rule checks the export's query parameters (``string_problem``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graphql import (
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    Node,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    is_list_type,
    visit,
)
from graphql.language.visitor import SKIP

from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.pagination import MAX_FIRST


class StringKind(NamedTuple):
    name: str
    maximum: int


ID_TEXT = StringKind("an ID or cursor", 512)
SEARCH_TEXT = StringKind("search text", 500)
LONG_TEXT = StringKind("long text", 20_000)
TEXT = StringKind("text", 2_000)
STRING_KINDS = (ID_TEXT, SEARCH_TEXT, LONG_TEXT, TEXT)
"""The README's table of maximum lengths; ``kind_of`` says which applies where."""

SEARCH_FIELDS = frozenset({"search", "nameContains"})
LONG_TEXT_FIELDS = frozenset({"description", "internalNotes", "outcome", "document"})
CURSOR_FIELDS = frozenset({"after", "since"})
# Scalars whose values are JSON documents: only their strings' NUL characters are checked.
JSON_SCALARS = frozenset({"JSON", "_Any"})

FIRST_MAXIMUM = {"Query.changes": 1000}
"""Fields whose ``first`` goes higher than ``MAX_FIRST`` (the change feed's pages)."""

NUL = "\x00"


def kind_of(type_name: str, field_name: str) -> StringKind:
    if type_name == "ID" or field_name in CURSOR_FIELDS:
        return ID_TEXT
    if field_name in SEARCH_FIELDS:
        return SEARCH_TEXT
    if field_name in LONG_TEXT_FIELDS:
        return LONG_TEXT
    return TEXT


def string_problem(value: str, kind: StringKind, argument: str) -> str | None:
    """What is wrong with ``value`` as a string of ``kind``, or None."""
    if NUL in value:
        return f"{argument} must not contain the NUL character (\\u0000)."
    if len(value) > kind.maximum:
        return (
            f"{argument} is {len(value)} characters; at most {kind.maximum} are allowed"
            f" for {kind.name}."
        )
    return None


def first_problem(value: int, coordinate: str) -> str | None:
    maximum = FIRST_MAXIMUM.get(coordinate, MAX_FIRST)
    if 0 <= value <= maximum:
        return None
    return f"first must be between 0 and {maximum}; got {value}. Page with `after` for more."


@dataclass(frozen=True)
class VariableUse:
    """A variable at an argument position: checked when its value is known."""

    variable: str
    type: GraphQLInputType
    argument: str
    coordinate: str
    node: Node


@dataclass
class InputCheck:
    """What the rules found in an operation's literals, and where its variables go."""

    errors: list[GraphQLError] = field(default_factory=list)
    uses: list[VariableUse] = field(default_factory=list)

    def variable_errors(self, variables: dict[str, Any]) -> list[GraphQLError]:
        errors: list[GraphQLError] = []
        for use in self.uses:
            if use.variable in variables:
                walker = _Walker(use.coordinate, use.node, errors.append)
                walker.raw(variables[use.variable], use.type, use.argument)
        return errors


def check_inputs(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> InputCheck:
    """Checks the literals of ``operation`` and the fragments it uses; notes its variables."""
    check = InputCheck()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    defaults: dict[str, ValueNode] = {
        d.variable.name.value: d.default_value
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    for node in _reachable(operation, fragments):
        type_info = TypeInfo(schema)
        visit(node, TypeInfoVisitor(type_info, _Arguments(type_info, check, defaults)))
    return check


def _reachable(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[OperationDefinitionNode | FragmentDefinitionNode]:
    found: list[OperationDefinitionNode | FragmentDefinitionNode] = [operation]
    seen: set[str] = set()
    for definition in found:  # grows while it is walked
        spreads = _Spreads()
        visit(definition, spreads)
        for name in spreads.names:
            if name not in seen and name in fragments:
                seen.add(name)
                found.append(fragments[name])
    return found


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.append(node.name.value)


class _Arguments(Visitor):
    def __init__(
        self, type_info: TypeInfo, check: InputCheck, defaults: dict[str, ValueNode]
    ) -> None:
        super().__init__()
        self.type_info = type_info
        self.check = check
        self.defaults = defaults
        self.fields: list[str] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.fields.append(node.name.value)

    def leave_field(self, node: FieldNode, *_: Any) -> None:
        self.fields.pop()

    def enter_argument(self, node: Any, *_: Any) -> object:
        argument = self.type_info.get_argument()
        if argument is None:
            return SKIP  # an unknown argument: validation reports it
        directive = self.type_info.get_directive()
        if directive is not None:
            coordinate = f"@{directive.name}"
        else:
            parent = self.type_info.get_parent_type()
            coordinate = f"{getattr(parent, 'name', '?')}.{self.fields[-1]}"
        walker = _Walker(coordinate, node.value, self.check.errors.append, self)
        walker.literal(node.value, argument.type, node.name.value)
        return SKIP


class _Walker:
    def __init__(
        self,
        coordinate: str,
        node: Node,
        report: Callable[[GraphQLError], None],
        arguments: _Arguments | None = None,
    ) -> None:
        self.coordinate = coordinate
        self.node = node
        self.report = report
        self.arguments = arguments

    def problem(self, message: str, argument: str, node: Node | None = None) -> None:
        self.report(
            GraphQLError(
                message,
                nodes=[node or self.node],
                original_error=BadUserInput(message, argument=argument),
            )
        )

    def literal(self, node: ValueNode, type_: GraphQLInputType, path: str) -> None:
        type_ = get_nullable_type(type_)  # type: ignore[assignment]
        if isinstance(node, VariableNode):
            if self.arguments is not None:
                name = node.name.value
                use = VariableUse(name, type_, path, self.coordinate, node)
                self.arguments.check.uses.append(use)
                if name in self.arguments.defaults:
                    self.literal(self.arguments.defaults[name], type_, path)
            return
        if isinstance(node, NullValueNode | EnumValueNode | BooleanValueNode | FloatValueNode):
            return
        if isinstance(type_, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            for item in items:
                self.literal(item, type_.of_type, path)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for given in node.fields:
                    input_field = type_.fields.get(given.name.value)
                    if input_field is not None:
                        self.literal(given.value, input_field.type, f"{path}.{given.name.value}")
        elif isinstance(type_, GraphQLScalarType):
            if type_.name in JSON_SCALARS:
                self._json_literal(node, path)
            elif isinstance(node, StringValueNode):
                self._string(node.value, type_.name, path, node)
            elif isinstance(node, IntValueNode) and path == "first":
                self._first(int(node.value), node)

    def raw(self, value: Any, type_: GraphQLInputType, path: str) -> None:
        type_ = get_nullable_type(type_)  # type: ignore[assignment]
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            for item in value if isinstance(value, list) else (value,):
                self.raw(item, type_.of_type, path)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(value, dict):
                for key, item in value.items():
                    input_field = type_.fields.get(key)
                    if input_field is not None:
                        self.raw(item, input_field.type, f"{path}.{key}")
        elif isinstance(type_, GraphQLScalarType):
            if type_.name in JSON_SCALARS:
                self._json_raw(value, path)
            elif isinstance(value, str):
                self._string(value, type_.name, path)
            elif isinstance(value, int) and not isinstance(value, bool) and path == "first":
                self._first(value)

    def _string(self, value: str, type_name: str, path: str, node: Node | None = None) -> None:
        kind = kind_of(type_name, path.rsplit(".", 1)[-1])
        problem = string_problem(value, kind, path)
        if problem is not None:
            self.problem(problem, path, node)

    def _first(self, value: int, node: Node | None = None) -> None:
        problem = first_problem(value, self.coordinate)
        if problem is not None:
            self.problem(problem, "first", node)

    def _json_literal(self, node: ValueNode, path: str) -> None:
        if isinstance(node, StringValueNode) and NUL in node.value:
            self.problem(f"{path} must not contain the NUL character (\\u0000).", path, node)
        elif isinstance(node, ListValueNode):
            for item in node.values:
                self._json_literal(item, path)
        elif isinstance(node, ObjectValueNode):
            for given in node.fields:
                self._json_literal(given.value, path)

    def _json_raw(self, value: Any, path: str) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if NUL in item:
                    self.problem(f"{path} must not contain the NUL character (\\u0000).", path)
                    return
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())


def answer_empty_lists_for_first_zero(schema: GraphQLSchema) -> None:
    """``first: 0`` on a field that answers a plain list: ``[]``, without running it.

    Connections handle 0 themselves (their ``totalCount`` still counts); this makes the
    list fields (leaderboards, similar processes, candidates) answer the same way without
    a statement. It is a shortcut, not a guard: the store functions answer ``[]`` for 0
    on their own (``tests/test_first_zero.py`` runs them without it).
    """
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for graphql_field in named.fields.values():
            returns = graphql_field.type
            if isinstance(returns, GraphQLNonNull):
                returns = returns.of_type
            if "first" not in graphql_field.args or not is_list_type(returns):
                continue
            resolve = graphql_field.resolve
            if resolve is None or getattr(resolve, "_empty_at_zero", False):
                continue
            graphql_field.resolve = _empty_at_zero(resolve)


def _empty_at_zero(resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolver(source: Any, info: Any, **arguments: Any) -> Any:
        if arguments.get("first") == 0:
            return []
        return resolve(source, info, **arguments)

    resolver._empty_at_zero = True  # type: ignore[attr-defined]
    return resolver
