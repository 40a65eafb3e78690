"""Generated queries, answered alike by the compiled path and the executor.

``hypothesis-graphql`` (the generator schemathesis uses) writes selection sets over the
part of the read schema the compiler covers: every object type the field specification
registers, with the fields it registers, their arguments where they take enums or
months, and the connections around them. The roots get fixed arguments (a page of the
demo data, the invoice robot, a municipality with MUNICIPALITY and PERSONAL records), so
every generated operation is one the compiled path must answer, and the executor's
answer is the reference: same data for an anonymous caller, a member and an editor.
"""

from functools import cache

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    IntValueNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    build_schema,
    get_named_type,
    parse,
    print_ast,
    print_type,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.objects import FIELDS
from reusegraph.compiler.runner import CompiledReads
from reusegraph.schema.limits.budget import DEFAULT_MAX_COST
from reusegraph.schema.limits.cost import estimate
from reusegraph.store.engine import Database
from tests.support.viewers import SCHEMA
from tests.test_compiled_reads import HOME, INVOICE_ROBOT, VIEWERS, both, compiled

__all__ = ["compiled"]  # the module's fixture, shared

ROOTS: dict[str, tuple[str, dict[str, ValueNode]]] = {
    "processes": ("ProcessConnection!", {"first": IntValueNode(value="4")}),
    "process": ("Process", {"id": StringValueNode(value=INVOICE_ROBOT)}),
    "municipality": ("Municipality", {"code": StringValueNode(value=HOME)}),
    "municipalities": ("MunicipalityConnection!", {"first": IntValueNode(value="3")}),
}
CONNECTIONS = ["ProcessConnection", "MunicipalityConnection"]
SERIES = {"BenefitSeries": ["months", "hoursSaved", "cases"]}
MONTHS = st.sampled_from(["2019-01", "2021-01", "2022-06", "2024-12"]).map(nodes.String)


def _field_sdl(name: str, field: GraphQLField) -> str | None:
    arguments = []
    for argument_name, argument in field.args.items():
        named = get_named_type(argument.type)
        if not isinstance(named, GraphQLEnumType) and named.name != "Month":
            return None  # an argument this corpus does not vary: leave the field out
        arguments.append(f"{argument_name}: {argument.type}")
    listed = f"({', '.join(arguments)})" if arguments else ""
    return f"  {name}{listed}: {field.type}"


@cache
def covered_schema() -> GraphQLSchema:
    """The compiled part of the read schema, as a schema the generator can read."""
    real = SCHEMA._schema
    wanted: dict[str, list[str]] = {t: sorted(specs) for t, specs in FIELDS.items()}
    wanted.update(SERIES)
    for connection in CONNECTIONS:
        wanted[connection] = ["totalCount", "nodes", "edges", "pageInfo"]
        wanted[connection.removesuffix("Connection") + "Edge"] = ["cursor", "node"]
    wanted["PageInfo"] = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]
    blocks: list[str] = []
    extra: set[str] = set()
    for type_name, field_names in wanted.items():
        kind = real.get_type(type_name)
        assert isinstance(kind, GraphQLObjectType), type_name
        lines = []
        for name in field_names:
            field = kind.fields.get(name)
            if field is None:
                continue
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType) and named.name not in wanted:
                continue
            line = _field_sdl(name, field)
            if line is None:
                continue
            lines.append(line)
            extra |= {get_named_type(a.type).name for a in field.args.values()}
            if not isinstance(named, GraphQLObjectType):
                extra.add(named.name)
        blocks.append(f"type {type_name} {{\n" + "\n".join(lines) + "\n}")
    roots = "\n".join(f"  {name}: {kind}" for name, (kind, _) in ROOTS.items())
    blocks.append(f"type Query {{\n{roots}\n}}")
    builtin = {"String", "Int", "Float", "Boolean", "ID"}
    for name in sorted(extra - builtin):
        scalar_or_enum: GraphQLNamedType | None = real.get_type(name)
        assert scalar_or_enum is not None
        blocks.append(print_type(scalar_or_enum))
    return build_schema("\n\n".join(blocks))


def with_root_arguments(query: str) -> str:
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fields = []
    for selection in operation.selection_set.selections:
        assert isinstance(selection, FieldNode)
        _, arguments = ROOTS[selection.name.value]
        given_arguments = tuple(
            ArgumentNode(name=NameNode(value=name), value=value)
            for name, value in arguments.items()
        )
        fields.append(
            FieldNode(
                alias=selection.alias,
                name=selection.name,
                arguments=given_arguments,
                directives=selection.directives,
                selection_set=selection.selection_set,
            )
        )
    rewritten = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    return print_ast(DocumentNode(definitions=(rewritten, *document.definitions[1:])))


def test_the_covered_schema_reaches_every_registered_type() -> None:
    covered = covered_schema()
    for type_name in FIELDS:
        assert covered.get_type(type_name) is not None, type_name
    process = covered.get_type("Process")
    assert isinstance(process, GraphQLObjectType)
    assert {"internalNotes", "municipality", "benefits", "reusedBy"} <= set(process.fields)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=queries(covered_schema(), custom_scalars={"Month": MONTHS}),
    viewer=st.sampled_from(sorted(VIEWERS)),
)
async def test_generated_queries_are_compiled_and_answer_as_the_executor_does(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], query: object, viewer: str
) -> None:
    text = with_root_arguments(str(query))
    assume(estimate(SCHEMA._schema, parse(text), None, None).cost <= DEFAULT_MAX_COST)
    compiler, _ = compiled
    answer = compiler.compile(text, None, None)
    assert isinstance(answer, CompiledAnswer), f"not compiled ({answer}): {text}"
    mine, theirs = await both(demo_db, compiled, text, VIEWERS[viewer])
    assert mine == theirs, text
