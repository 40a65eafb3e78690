"""GraphQL over HTTP as the spec and browsers expect it."""

import httpx
import pytest

from tests.support.http import GraphQLClient

QUERY = "{ municipalities { totalCount } }"


@pytest.fixture
def http(api: GraphQLClient) -> httpx.AsyncClient:
    return api.http


async def test_get_runs_a_query(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": QUERY})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"municipalities": {"totalCount": 0}}
    assert body["extensions"]["cost"]["requested"] == 1


async def test_browser_gets_graphiql_with_the_example_queries(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    assert "WhoReusedSkanderborgsInvoiceRobot" in response.text
    assert "HoursSavedPerMunicipality2022" in response.text
    assert "VendorsOnTrondheimsAgreement" in response.text


async def test_spec_media_type_gets_400_for_an_invalid_document(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ nosuchfield }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_plain_json_gets_200_with_errors(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ nosuchfield }"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "errors" in response.json()


async def test_syntax_error_is_a_parse_failure(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ municipalities { "})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("query=" + QUERY, "application/x-www-form-urlencoded", 415),
        (QUERY, "text/plain", 415),
        ("{not json", "application/json", 400),
        ('[{"query": "{ __typename }"}]', "application/json", 400),
        ('{"query": 42}', "application/json", 400),
        ('{"query": "{ __typename }", "variables": [1]}', "application/json", 400),
    ],
)
async def test_requests_that_are_not_graphql_are_refused_before_execution(
    http: httpx.AsyncClient, content: str, content_type: str, status: int
) -> None:
    response = await http.post("/graphql", content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


async def test_oversized_body_is_refused(http: httpx.AsyncClient) -> None:
    padding = " " * 1_100_000
    response = await http.post("/graphql", json={"query": "{ __typename }" + padding})
    assert response.status_code == 413


async def test_request_id_is_echoed_and_put_on_errors(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ nosuchfield }"}, headers={"X-Request-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "abc-123"


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
