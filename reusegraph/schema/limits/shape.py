"""Depth and alias limits, refused with their own codes and the figures to fix the query.

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` answer with a bare
validation message (and the depth limiter stops counting at the limit), so a client
cannot tell these refusals from a typo. These rules count the same way (a field with a
selection is one level, leaves and introspection fields none; every aliased field once,
through fragments), once per operation, with each fragment counted once and remembered,
and report ``QUERY_TOO_DEEP`` or ``TOO_MANY_ALIASES`` with the limit and the value found
in ``extensions``. The messages name only the client's own operation, never the schema.
"""

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

DEEPEST_COUNTED = 256
"""Depth is counted up to here (a deeper document is refused as this deep): the count
recurses, and a 5 000-token document could nest far deeper than Python's stack."""

Fragments = dict[str, FragmentDefinitionNode]


def _fragments(context: ValidationContext) -> Fragments:
    return {
        d.name.value: d
        for d in context.document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }


def _name(operation: OperationDefinitionNode) -> str:
    return f"Operation '{operation.name.value}'" if operation.name else "The operation"


class _Depth:
    def __init__(self, fragments: Fragments) -> None:
        self.fragments = fragments
        self.known: dict[str, int] = {}
        self.open: set[str] = set()

    def of(self, selections: SelectionSetNode | None, level: int) -> int:
        if selections is None or level > DEEPEST_COUNTED:
            return 0
        deepest = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__") or selection.selection_set is None:
                    continue
                deepest = max(deepest, 1 + self.of(selection.selection_set, level + 1))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.of(selection.selection_set, level))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._spread(selection.name.value, level))
        return deepest

    def _spread(self, name: str, level: int) -> int:
        if name in self.known:
            return self.known[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0  # unknown or cyclic: other rules refuse it
        self.open.add(name)
        self.known[name] = self.of(fragment.selection_set, level)
        self.open.discard(name)
        return self.known[name]


class _Aliases:
    def __init__(self, fragments: Fragments) -> None:
        self.fragments = fragments
        self.known: dict[str, int] = {}
        self.open: set[str] = set()

    def of(self, selections: SelectionSetNode | None) -> int:
        if selections is None:
            return 0
        count = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                count += int(selection.alias is not None) + self.of(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._spread(selection.name.value)
        return count

    def _spread(self, name: str) -> int:
        if name in self.known:
            return self.known[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0
        self.open.add(name)
        self.known[name] = self.of(fragment.selection_set)
        self.open.discard(name)
        return self.known[name]


def depth_limit(maximum: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.depth = _Depth(_fragments(context))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            found = self.depth.of(node.selection_set, 1)
            if found > maximum:
                self.report_error(
                    GraphQLError(
                        f"{_name(node)} nests {found} levels of selections; at most"
                        f" {maximum} are allowed. Ask for less at once, or split it.",
                        node,
                        extensions={
                            "code": "QUERY_TOO_DEEP",
                            "depth": found,
                            "maximumDepth": maximum,
                        },
                    )
                )

    return DepthLimit


def alias_limit(maximum: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.aliases = _Aliases(_fragments(context))

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            found = self.aliases.of(node.selection_set)
            if found > maximum:
                self.report_error(
                    GraphQLError(
                        f"{_name(node)} has {found} aliased fields; at most {maximum} are"
                        " allowed. Split it into several operations.",
                        node,
                        extensions={
                            "code": "TOO_MANY_ALIASES",
                            "aliases": found,
                            "maximumAliases": maximum,
                        },
                    )
                )

    return AliasLimit
