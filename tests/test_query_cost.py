"""The cost estimate, from the document alone (no database): what counts and how much."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate

from reusegraph.schema import build_schema
from reusegraph.schema.limits import cost as rules
from reusegraph.schema.limits.budget import DEFAULT_MAX_COST, count_objects
from reusegraph.schema.limits.cost import TooManyFields, cost_table, estimate
from reusegraph.schema.limits.estimates import remembered_estimate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "reusegraph" / "api" / "examples"
NOW = datetime(2026, 11, 22, tzinfo=UTC)

ALL_DIMENSIONS = "[MUNICIPALITY, COUNTRY, DOMAIN, TECHNOLOGY, VENDOR, YEAR, MONTH, KIND, PROCESS]"
NINE = f"{{ benefitSummary(groupBy: {ALL_DIMENSIONS}) {{ hoursSaved cases key {{ municipalityCode }} }} }}"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cost_of(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, object] | None = None,
    operation: str | None = None,
) -> int:
    document = parse(query)
    assert validate(schema, document) == [], query
    return estimate(schema, document, operation, variables, now=NOW).cost


def test_lists_cost_by_first_and_nested_lists_multiply(schema: GraphQLSchema) -> None:
    assert cost_of(schema, "{ processes(first: 10) { nodes { title } } }") == 1 + 10
    assert cost_of(schema, "{ processes { nodes { title } } }") == 1 + 50
    assert cost_of(schema, "{ processes(first: 10) { totalCount } }") == 1
    nested = (
        "{ vendors(first: 20) { nodes { processesDelivered(first: 30) { nodes { title } } } } }"
    )
    assert cost_of(schema, nested) == 1 + 20 * (1 + 1 + 30)


def test_first_from_variables_and_their_defaults(schema: GraphQLSchema) -> None:
    query = "query ($n: Int = 7) { processes(first: $n) { nodes { title } } }"
    assert cost_of(schema, query) == 1 + 7
    assert cost_of(schema, query, {"n": 300}) == 1 + 300
    assert cost_of(schema, query, {"n": None}) == 1 + 50


def test_a_first_out_of_range_costs_nothing(schema: GraphQLSchema) -> None:
    """The field refuses it with BAD_USER_INPUT; the estimate does not get in the way."""
    assert cost_of(schema, "{ processes(first: 100000) { nodes { title } } }") == 0
    assert cost_of(schema, "{ processes(first: -1) { nodes { title } } }") == 0
    assert cost_of(schema, "{ changes(first: 5000) { upserts { title } } }") == 0
    assert cost_of(schema, "{ changes(first: 1000) { upserts { title } } }") == 1 + 1000


def test_the_500_by_500_nested_list_is_over_the_default_maximum(schema: GraphQLSchema) -> None:
    query = (
        "{ vendors(first: 500) { nodes { processesDelivered(first: 500) { nodes { title } } } } }"
    )
    assert cost_of(schema, query) > DEFAULT_MAX_COST


def test_unpaged_lists_cost_their_documented_bound(schema: GraphQLSchema) -> None:
    query = '{ process(id: "x") { itSystems { code } reusedBy { derived { title } } } }'
    itsystems = rules.DEFAULT_LIST_BOUND
    reused = rules.LIST_BOUNDS["Process.reusedBy"]
    assert cost_of(schema, query) == 1 + itsystems + reused * 2


def test_aliases_add_up_and_repeated_fields_merge(schema: GraphQLSchema) -> None:
    one = "processes(first: 10) { nodes { title } }"
    assert cost_of(schema, f"{{ a: {one} b: {one} c: {one} }}") == 3 * 11
    assert cost_of(schema, f"{{ {one} {one} }}") == 11
    merged = "{ processes(first: 10) { nodes { title } nodes { municipality { name } } } }"
    assert cost_of(schema, merged) == 1 + 10 * 2


def test_fragments_are_followed(schema: GraphQLSchema) -> None:
    query = """
    { processes(first: 10) { ...Page } }
    fragment Page on ProcessConnection { nodes { ...P } edges { node { ...P } } }
    fragment P on Process { municipality { name } }
    """
    assert cost_of(schema, query) == 1 + 10 * 2 + 10 * (1 + 1 + 1)


def test_skip_and_include_are_honoured(schema: GraphQLSchema) -> None:
    query = """query ($all: Boolean!) {
      processes(first: 10) { nodes { title municipality @include(if: $all) { name } } }
    }"""
    assert cost_of(schema, query, {"all": False}) == 11
    assert cost_of(schema, query, {"all": True}) == 21


def test_an_abstract_field_costs_its_costliest_type(schema: GraphQLSchema) -> None:
    query = """{ node(id: "x") {
      ... on Process { itSystems { code } }
      ... on Municipality { name }
    } }"""
    assert cost_of(schema, query) == 1 + rules.DEFAULT_LIST_BOUND


def test_benefit_summary_groups_are_the_product_of_dimension_bounds(
    schema: GraphQLSchema,
) -> None:
    by_country = "{ benefitSummary(groupBy: [COUNTRY, KIND]) { hoursSaved } }"
    assert cost_of(schema, by_country) == 5 * 2
    narrowed = """{ benefitSummary(groupBy: [MUNICIPALITY, DOMAIN],
      filter: {municipality: ["DK-0746", "NO-5001"]}) { hoursSaved } }"""
    assert cost_of(schema, narrowed) == 2 * 15
    months = """{ benefitSummary(groupBy: [MONTH], filter: {from: "2022-01", to: "2023-06"}) {
      hoursSaved } }"""
    assert cost_of(schema, months) == 18
    years = """{ benefitSummary(groupBy: [YEAR], filter: {from: "2019-03", to: "2022-02"}) {
      hoursSaved } }"""
    assert cost_of(schema, years) == 4


def test_benefit_summary_series_is_as_long_as_the_range(schema: GraphQLSchema) -> None:
    ranged = """{ benefitSummary(groupBy: [COUNTRY], filter: {from: "2022-01", to: "2022-12"}) {
      series { month } realised { series { month } } } }"""
    assert cost_of(schema, ranged) == 5 * (1 + 12 + 1 + 12)
    unranged = "{ benefitSummary(groupBy: [COUNTRY]) { series { month } } }"
    assert cost_of(schema, unranged) == 5 * (1 + rules.MONTHS_UNBOUNDED)
    by_month = "{ benefitSummary(groupBy: [COUNTRY, MONTH]) { series { month } } }"
    assert cost_of(schema, by_month) == 5 * rules.MONTHS_UNBOUNDED * (1 + 1)


def test_the_nine_dimension_summary_is_refused_alone_and_under_aliases(
    schema: GraphQLSchema,
) -> None:
    assert cost_of(schema, NINE) > DEFAULT_MAX_COST
    inner = NINE.strip()[1:-1]
    aliased = "{ " + " ".join(f"a{i}: {inner}" for i in range(30)) + " }"
    assert cost_of(schema, aliased) >= 30 * cost_of(schema, NINE) or (
        cost_of(schema, aliased) == rules.REPORTED_MAXIMUM
    )


def test_mutations_cost_a_write_and_their_payload(schema: GraphQLSchema) -> None:
    query = (
        """mutation { processDelete(input: {id: "x", version: 1}) { userErrors { message } } }"""
    )
    assert cost_of(schema, query) == rules.MUTATION_COST + 1 + rules.DEFAULT_LIST_BOUND


def test_the_chosen_operation_is_estimated(schema: GraphQLSchema) -> None:
    query = """
    query Small { processes(first: 1) { nodes { title } } }
    query Big { processes(first: 400) { nodes { title } } }
    """
    assert cost_of(schema, query, operation="Small") == 2
    assert cost_of(schema, query, operation="Big") == 401


def test_mutually_spreading_fragments_expanding_without_bound_are_refused(
    schema: GraphQLSchema,
) -> None:
    # Each level doubles: 2^depth fields, far more than any answer could be asked for.
    levels = 16
    fragments = [
        f"fragment F{i} on Process {{ a: reusedBy {{ origin {{ ...F{i + 1} }} }}"
        f" b: reusedFrom {{ origin {{ ...F{i + 1} }} }} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Process {{ title }}")
    query = '{ process(id: "x") { ...F0 } }\n' + "\n".join(fragments)
    with pytest.raises(TooManyFields):
        estimate(schema, parse(query), None, None)


def test_introspection_costs_a_fixed_amount(schema: GraphQLSchema) -> None:
    assert cost_of(schema, "{ __schema { types { name fields { name } } } }") == (
        rules.INTROSPECTION_COST
    )
    assert cost_of(schema, "{ __typename }") == 0


def test_every_graphiql_example_is_admitted(schema: GraphQLSchema) -> None:
    for path in sorted(EXAMPLES.glob("*.graphql")):
        document = parse(path.read_text(encoding="utf-8"))
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                cost = estimate(schema, document, name, {}, now=NOW).cost
                assert cost <= DEFAULT_MAX_COST, f"{path.name}: {cost}"


def test_count_objects_counts_the_objects_of_an_answer() -> None:
    data = {"processes": {"nodes": [{"title": "a", "municipality": {"name": "x"}}, {"title": "b"}]}}
    assert count_objects(data) == 4
    assert count_objects({"__typename": "Query"}) == 0


def test_readme_documents_every_cost_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (.+?) \| (.+?) \|$", readme, re.M))
    missing = [row for row in cost_table() if row not in documented]
    assert not missing, f"README's cost table lacks: {missing}"


def test_a_repeated_operation_is_priced_once_and_new_variables_are_priced_anew(
    schema: GraphQLSchema,
) -> None:
    document = parse("query Q($n: Int) { processes(first: $n) { nodes { title } } }")
    ten = remembered_estimate(schema, document, None, {"n": 10})
    assert ten.cost == 11
    assert remembered_estimate(schema, document, None, {"n": 10}) is ten
    assert remembered_estimate(schema, document, None, {"n": 20}).cost == 21
    same_text = parse("query Q($n: Int) { processes(first: $n) { nodes { title } } }")
    assert remembered_estimate(schema, same_text, None, {"n": 10}) is not ten
