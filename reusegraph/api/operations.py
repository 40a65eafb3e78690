"""Everything a request can fail on before execution: parse, pick the operation, validate.

``Operations.prepare`` turns a document and an ``operationName`` into a ``Prepared``
operation (the parsed ``DocumentNode``, the chosen ``OperationDefinitionNode`` and its
type), or raises ``Refused`` with the errors to answer: a syntax error, a document
without an operation, an unknown or missing ``operationName``, validation errors (at
most ``MAX_ERRORS``), or a literal that breaks the input rules of
``schema.core.inputs``. ``Prepared.variable_errors`` does the same for the variables of
one request (coercion, then the input rules). Results are cached by document, so a
repeated query costs a dictionary look-up.

In production mode introspection (``__schema``, ``__type``, and federation's
``_service``) is refused, suggestions ("Did you mean ...") are left out, and validation
messages name nothing of the schema: a client that knows the schema can still fix its
document from the locations, a scanner learns nothing.
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutableDefinitionsRule,
    FieldNode,
    FieldsOnCorrectTypeRule,
    FragmentsOnCompositeTypesRule,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    KnownArgumentNamesRule,
    KnownDirectivesRule,
    KnownTypeNamesRule,
    OperationDefinitionNode,
    OperationType,
    OverlappingFieldsCanBeMergedRule,
    PossibleFragmentSpreadsRule,
    ProvidedRequiredArgumentsRule,
    ScalarLeafsRule,
    ValidationRule,
    ValuesOfCorrectTypeRule,
    VariablesAreInputTypesRule,
    VariablesInAllowedPositionRule,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import ASTValidationRule
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from reusegraph.schema.core.inputs import InputCheck, check_inputs

MAX_ERRORS = 5
"""Most errors one refused document gets back (a sixth says that validation stopped)."""
MAX_TOKENS = 5000
"""Longest document, in tokens (as the schema's own MaxTokensLimiter)."""
CACHED_DOCUMENTS = 512
CACHED_LENGTH = 64 * 1024
"""Longer documents are prepared every time rather than kept."""

FEDERATION_FIELDS = frozenset({"_service"})
# In production a rule's message is replaced by its entry here (or by the general one);
# only the rules in _DOCUMENT_ONLY keep theirs: they speak of the client's own document
# (operation, fragment, variable and label names), never of the schema.
_DOCUMENT_ONLY = frozenset(
    {
        "KnownOperationTypesRule",
        "UniqueOperationNamesRule",
        "LoneAnonymousOperationRule",
        "UniqueFragmentNamesRule",
        "KnownFragmentNamesRule",
        "NoUnusedFragmentsRule",
        "NoFragmentCyclesRule",
        "UniqueVariableNamesRule",
        "NoUndefinedVariablesRule",
        "NoUnusedVariablesRule",
        "UniqueDirectivesPerLocationRule",
        "DeferStreamDirectiveLabel",
        "UniqueArgumentNamesRule",
        "UniqueInputFieldNamesRule",
        "MaxIntrospectionDepthRule",
    }
)
NOT_VALID_HERE = "The document is not valid for this server."
_PRODUCTION_MESSAGES: dict[type[ASTValidationRule], str] = {
    ExecutableDefinitionsRule: "The document may contain only operations and fragments.",
    FieldsOnCorrectTypeRule: "Cannot query this field here.",
    FragmentsOnCompositeTypesRule: "A fragment must be on an object, interface or union.",
    KnownArgumentNamesRule: "Unknown argument.",
    KnownDirectivesRule: "Unknown directive, or a directive in the wrong place.",
    KnownTypeNamesRule: "Unknown type.",
    OverlappingFieldsCanBeMergedRule: "Fields with the same name in the answer conflict.",
    PossibleFragmentSpreadsRule: "This fragment cannot be spread here.",
    ProvidedRequiredArgumentsRule: "A required argument is missing.",
    ScalarLeafsRule: "A field has a wrong selection of subfields (none, or one too many).",
    ValuesOfCorrectTypeRule: "An argument value does not fit its type.",
    VariablesAreInputTypesRule: "A variable must have an input type.",
    VariablesInAllowedPositionRule: "A variable is used where its type is not allowed.",
    MaybeNullValidationRule: "An argument value does not fit its type.",
    OneOfInputValidationRule: "An argument value does not fit its type.",
}
INTROSPECTION_OFF = "Introspection is switched off on this server."


class Refused(Exception):
    """The request fails before execution with ``errors``.

    ``status`` None: by media type (400 for graphql-response+json, 200 for JSON).
    """

    def __init__(
        self,
        errors: Sequence[GraphQLError],
        status: int | None = None,
        headers: dict[str, str] | None = None,
        operation_type: OperationType | None = None,
    ) -> None:
        super().__init__(errors[0].message if errors else "refused")
        self.errors = list(errors)
        self.status = status
        self.headers = headers or {}
        self.operation_type = operation_type
        """The type of the operation picked, when it was picked before the refusal."""


def request_error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@dataclass(frozen=True)
class Prepared:
    """A parsed and validated operation, ready to run (and to reuse: never mutate)."""

    document: DocumentNode
    operation: OperationDefinitionNode
    type: OperationType
    inputs: InputCheck

    @property
    def name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None

    def variable_errors(
        self, schema: GraphQLSchema, variables: dict[str, Any] | None, *, production: bool
    ) -> list[GraphQLError]:
        """Coerces the variables (and applies the input rules to them) as execution would."""
        definitions = self.operation.variable_definitions or ()
        given = variables or {}
        if definitions:
            coerced = get_variable_values(
                schema, definitions, given, max_errors=MAX_ERRORS, hide_suggestions=production
            )
            if isinstance(coerced, list):
                errors = [_coded(_coercion_error(e, production), "BAD_USER_INPUT") for e in coerced]
                return errors[: MAX_ERRORS + 1]
        return self.inputs.variable_errors(given)[: MAX_ERRORS + 1]


class Operations:
    def __init__(self, schema: GraphQLSchema, *, production: bool = False) -> None:
        self.schema = schema
        self.production = production
        rules: list[type[ASTValidationRule]] = [
            *specified_rules,
            MaxIntrospectionDepthRule,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        ]
        if production:
            rules = [_masked(rule) for rule in rules]
            rules += [NoIntrospectionRule]
        self.rules = tuple(rules)
        self._cache: OrderedDict[tuple[str, str | None], Prepared | Refused] = OrderedDict()

    def prepare(
        self,
        query: str,
        operation_name: str | None,
        allowed: frozenset[OperationType] | None = None,
    ) -> Prepared:
        """``allowed``: the operation types this request may run (a GET: queries only)."""
        key = (query, operation_name)
        found = self._cache.get(key)
        if found is None:
            found = self._prepare(query, operation_name)
            if len(query) <= CACHED_LENGTH:
                self._cache[key] = found
                if len(self._cache) > CACHED_DOCUMENTS:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        picked = found.type if isinstance(found, Prepared) else found.operation_type
        if allowed is not None and picked is not None and picked not in allowed:
            raise Refused(
                [
                    request_error(
                        f"A GET request runs queries only; send this {picked.value} by POST.",
                        "METHOD_NOT_ALLOWED",
                    )
                ],
                status=405,
                headers={"Allow": "POST"},
                operation_type=picked,
            )
        if isinstance(found, Refused):
            raise Refused(found.errors, found.status, found.headers, found.operation_type)
        return found

    def _prepare(self, query: str, operation_name: str | None) -> Prepared | Refused:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLSyntaxError as error:
            error.__traceback__ = None  # kept in the cache: not its frames
            return Refused([_coded(error, "GRAPHQL_PARSE_FAILED")])
        try:
            operation = pick_operation(document, operation_name)
        except Refused as refused:
            return refused
        errors = validate(
            self.schema,
            document,
            self.rules,
            max_errors=MAX_ERRORS,
            hide_suggestions=self.production,
        )
        if errors:
            errors = [_coded(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]
            return Refused(errors, operation_type=operation.operation)
        inputs = check_inputs(self.schema, document, operation)
        if inputs.errors:
            return Refused(inputs.errors[: MAX_ERRORS + 1], operation_type=operation.operation)
        return Prepared(document, operation, operation.operation, inputs)


def pick_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation to run, by the spec's GetOperation(document, operationName)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise Refused(
            [
                request_error(
                    "The document has no operation to run (only fragments or type"
                    " definitions); add a query or mutation.",
                    "OPERATION_RESOLUTION_FAILURE",
                )
            ]
        )
    if name is None:
        if len(operations) > 1:
            raise Refused(
                [
                    request_error(
                        "operationName is required when the document has more than one operation.",
                        "OPERATION_RESOLUTION_FAILURE",
                    )
                ]
            )
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    named = [repr(o.name.value) for o in operations if o.name is not None]
    listing = f"it has {', '.join(named)}" if named else "its operations have no names"
    raise Refused(
        [
            request_error(
                f"The document has no operation named {name!r}; {listing}.",
                "OPERATION_RESOLUTION_FAILURE",
            )
        ]
    )


class NoIntrospectionRule(ValidationRule):
    """Production: no ``__schema``, ``__type`` or ``_service`` (``__typename`` is fine)."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        name = node.name.value
        if name in ("__schema", "__type") or name in FEDERATION_FIELDS:
            self.report_error(GraphQLError(INTROSPECTION_OFF, node))


def _masked(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    if rule.__name__ in _DOCUMENT_ONLY:
        return rule
    message = _PRODUCTION_MESSAGES.get(rule, NOT_VALID_HERE)

    def report_error(self: ASTValidationRule, error: GraphQLError) -> None:
        self.context.report_error(GraphQLError(message, error.nodes))

    return type(f"Masked{rule.__name__}", (rule,), {"report_error": report_error})


def _coded(error: GraphQLError, code: str) -> GraphQLError:
    """A client error, whatever raised it (a scalar's parser raises ValueError): the message
    already says what is wrong, and nothing is masked."""
    error.extensions = {**(error.extensions or {}), "code": code}
    error.original_error = None
    return error


def _coercion_error(error: GraphQLError, production: bool) -> GraphQLError:
    """graphql-core's "Variable '$x' got invalid value ...; Field 'y' of 'Type' ...": in
    production only the variable is named (it is the client's)."""
    if not production:
        return error
    head = error.message.split(" got invalid value", 1)[0].split(" of type", 1)[0]
    head = head.split(" of required type", 1)[0]
    if head.startswith("Variable '$"):
        variable = head.split("'")[1]
        message = f"Variable '{variable}' has a value that does not fit its type."
    else:
        message = "Variable value does not fit its type."
    return GraphQLError(message, error.nodes)
