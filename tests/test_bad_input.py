"""Bad arguments get BAD_USER_INPUT with a message that says what is allowed; never a 500."""

import pytest

from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient


@pytest.fixture
async def seeded(empty_db: Database, api: GraphQLClient) -> GraphQLClient:
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0746")],
        process=[b.process("DK-0746") for _ in range(3)],
    )
    return api


@pytest.mark.parametrize(
    ("query", "argument", "says"),
    [
        (
            '{ processes(filter: {municipality: ["DK-9999"]}) { totalCount } }',
            "filter.municipality",
            "unknown municipality 'DK-9999'",
        ),
        (
            '{ processes(filter: {municipality: ["Skanderborg"]}) { totalCount } }',
            "filter.municipality",
            "e.g. DK-0746",
        ),
        ('{ municipality(code: "0746") { name } }', "code", "<country>-<number>"),
        ('{ processes(after: "not-a-cursor") { totalCount } }', "after", "not a cursor"),
        ("{ processes(first: 501) { totalCount } }", "first", "between 0 and 500"),
        ("{ processes(first: -1) { totalCount } }", "first", "between 0 and 500"),
        ('{ processes(filter: {kle: ["27.2"]}) { totalCount } }', "filter.kle", "NN.NN"),
        (
            '{ processes(filter: {technology: ["robots"]}) { totalCount } }',
            "filter.technology",
            "see `technologies`",
        ),
        (
            '{ process(id: "Vendor:8d1f2c1e-7a32-4c9c-9a49-0d7f8b1f7f11") { title } }',
            "id",
            "a Process id is expected",
        ),
        ('{ node(id: "Spaceship:1") { id } }', "id", "Type one of"),
        (
            "{ processes(orderBy: {field: RELEVANCE}) { totalCount } }",
            "orderBy",
            "needs a `search`",
        ),
        ("{ benefitSummary(groupBy: [YEAR, YEAR]) { hoursSaved } }", "groupBy", "twice"),
    ],
)
async def test_bad_argument_is_named_with_what_is_allowed(
    seeded: GraphQLClient, query: str, argument: str, says: str
) -> None:
    error = await seeded.error(query)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert says in error["message"]


async def test_cursor_from_another_order_is_refused(seeded: GraphQLClient) -> None:
    data = await seeded.data("{ processes(first: 1) { pageInfo { endCursor } } }")
    cursor = data["processes"]["pageInfo"]["endCursor"]
    error = await seeded.error(
        "query ($after: String) { processes(orderBy: {field: TITLE}, after: $after) { totalCount } }",
        {"after": cursor},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "orders by 'TITLE'" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ processes(filter: {phase: [FINISHED]}) { totalCount } }",
        "query ($p: [Phase!]) { processes(filter: {phase: $p}) { totalCount } }",
    ],
)
async def test_unknown_enum_value_lists_the_allowed_values(
    seeded: GraphQLClient, query: str
) -> None:
    body = await seeded.post(query, {"p": ["FINISHED"]} if "$p" in query else None)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "IDEA, PREANALYSIS, SPECIFICATION" in error["message"]
    assert "data" not in body  # refused before execution: a request error


async def test_malformed_month_is_refused(seeded: GraphQLClient) -> None:
    error = await seeded.error(
        "query ($f: BenefitFilter) { benefitSummary(groupBy: [YEAR], filter: $f) { hoursSaved } }",
        {"f": {"from": "2022-13"}},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "YYYY-MM" in error["message"]


async def test_too_deep_query_is_refused_before_execution(seeded: GraphQLClient) -> None:
    deep = "{ processes { nodes " + "{ reusedBy { derived " * 7 + "{ title }" + " } }" * 7 + " } }"
    error = await seeded.error(deep)
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert (error["extensions"]["depth"], error["extensions"]["maximumDepth"]) == (16, 12)
    assert "16 levels" in error["message"]
    assert "at most 12" in error["message"]


async def test_too_many_aliases_are_refused_with_the_count(seeded: GraphQLClient) -> None:
    """Aliases inside a fragment count once per spread, as the answer repeats them."""
    query = (
        "{ " + " ".join(f"p{i}: processes(first: 1) {{ ...F }}" for i in range(4)) + " }"
        " fragment F on ProcessConnection { "
        + " ".join(f"n{i}: totalCount" for i in range(7))
        + " }"
    )
    error = await seeded.error(query)
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert (error["extensions"]["aliases"], error["extensions"]["maximumAliases"]) == (32, 30)
    assert "32 aliased fields" in error["message"]
    ok = await seeded.post("{ " + " ".join(f"n{i}: __typename" for i in range(30)) + " }")
    assert "errors" not in ok


def test_validation_is_cached_across_requests() -> None:
    """The depth and alias limits must not defeat the validation cache (bench/ measured it)."""
    import asyncio

    from strawberry.extensions.validation_cache import ValidationCache

    from reusegraph.schema import build_schema

    schema = build_schema()
    cached = ValidationCache(maxsize=256).cached_validate_document
    query = "{ technologies { __typename } }"
    before = cached.cache_info()  # type: ignore[attr-defined]
    for _ in range(3):
        asyncio.run(schema.execute(query))
    after = cached.cache_info()  # type: ignore[attr-defined]
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 2
