"""Which fields a selection asks for, per object type: fragments followed, ``@skip`` and
``@include`` applied, fields with one response key merged (the document is valid)."""

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.sql import Args, Params

Collected = dict[str, list[FieldNode]]


@dataclass
class Scope:
    """What planning one operation needs, and what it records for each request."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    params: Params = field(default_factory=Params)
    sites: list[tuple[GraphQLField, FieldNode]] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    """Conditions the request must meet for the compiled answer to stand (else NULL)."""
    aliases: int = 0
    joins: dict[str, list[str]] = field(default_factory=dict)
    """Per open row alias: the ``LEFT JOIN LATERAL`` clauses its to-one children asked for."""

    def alias(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    def open_joins(self, t: str) -> None:
        """The FROM that names ``t`` will take joins: call before writing its row's body."""
        self.joins[t] = []

    def join(self, t: str, clause: str) -> bool:
        """Add a join to ``t``'s FROM; False when that FROM takes none."""
        if t not in self.joins:
            return False
        self.joins[t].append(clause)
        return True

    def joined(self, t: str) -> str:
        """The joins for ``t``'s FROM, once its body is written (closes ``t``)."""
        return "".join(" " + clause for clause in self.joins.pop(t, []))

    def arguments(self, owner: str, node: FieldNode) -> tuple[int, dict[str, Any]]:
        """The site's index (for per-request sources) and its values now (for the plan's
        shape, which ``plans.shape_of`` keys the cache by)."""
        definition = self.object_type(owner).fields[node.name.value]
        self.sites.append((definition, node))
        return len(self.sites) - 1, get_argument_values(definition, node, self.variables)

    def object_type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType), name
        return found

    def collect(self, nodes: list[FieldNode], type_name: str) -> Collected:
        return self.collect_sets([n.selection_set for n in nodes if n.selection_set], type_name)

    def collect_sets(self, sets: list[SelectionSetNode], type_name: str) -> Collected:
        found: Collected = {}
        for selection_set in sets:
            self._collect(selection_set, type_name, found, set())
        return found

    def _collect(
        self, selections: SelectionSetNode, type_name: str, found: Collected, seen: set[str]
    ) -> None:
        for selection in selections.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                response_key = (selection.alias or selection.name).value
                found.setdefault(response_key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_name):
                    self._collect(selection.selection_set, type_name, found, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                if self._applies(fragment.type_condition.name.value, type_name):
                    self._collect(fragment.selection_set, type_name, found, seen)

    def _applies(self, condition: str, type_name: str) -> bool:
        if condition == type_name:
            return True
        abstract = self.schema.get_type(condition)
        concrete = self.schema.get_type(type_name)
        if abstract is None or concrete is None or isinstance(abstract, GraphQLObjectType):
            return False
        return self.schema.is_sub_type(abstract, concrete)  # type: ignore[arg-type]

    def _included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                raise NotCompilable(f"directive @{name}")
            definition = self.schema.get_directive(name)
            assert definition is not None
            value = get_argument_values(definition, directive, self.variables)["if"]
            if (name == "skip") == bool(value):
                return False
        return True


def read(site: int, name: str) -> Any:
    """A per-request source: the value of argument ``name`` at ``site``."""

    def source(args: Args) -> Any:
        return args[site].get(name)

    return source
