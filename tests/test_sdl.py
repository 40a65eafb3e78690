"""schema.graphql at the repo root is the served schema; clients and reviewers read it."""

from pathlib import Path

from reusegraph.schema import build_schema
from tests.support.http import GraphQLClient

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_matches_the_served_schema() -> None:
    expected = build_schema().as_str() + "\n"
    assert SDL_FILE.read_text(encoding="utf-8") == expected, (
        "schema.graphql is out of date: run `reusegraph schema > schema.graphql`"
    )


async def test_served_schema_is_a_federation_subgraph(api: GraphQLClient) -> None:
    data = await api.data("{ _service { sdl } }")
    sdl = data["_service"]["sdl"]
    assert 'type Process implements Node @key(fields: "id")' in sdl
    assert 'type Municipality implements Node @key(fields: "code")' in sdl
    assert "https://specs.apollo.dev/federation/v2.9" in sdl
