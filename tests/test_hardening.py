"""Issue 12's table, row by row: hostile and careless requests get answers by the spec.

Each test names the row it covers. None of them may see a 500.
"""

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.api.trusted import TrustedDocuments, TrustedDocumentsError
from reusegraph.schema import build_schema
from reusegraph.schema.core.inputs import FIRST_MAXIMUM, STRING_KINDS
from reusegraph.schema.core.pagination import MAX_FIRST
from reusegraph.store.engine import Database
from reusegraph.store.trusted_documents import document_hash
from tests.support.http import GraphQLClient, running_api, serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.tenants import issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

SPEC = "application/graphql-response+json"


@pytest.fixture
def http(api: GraphQLClient) -> httpx.AsyncClient:
    return api.http


def get(http: httpx.AsyncClient, accept: str = SPEC, **params: Any) -> Any:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return http.get("/graphql", params=encoded, headers={"Accept": accept})


def post(http: httpx.AsyncClient, body: Any, accept: str = SPEC) -> Any:
    return http.post("/graphql", json=body, headers={"Accept": accept})


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return error


# --- GET of a mutation or subscription -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "operation_name"),
    [
        ("mutation { __typename }", None),
        ('mutation { processCreate(input: {title: "x", phase: IDEA}) { clientMutationId } }', None),
        ("subscription { __typename }", None),
        ("query Q { __typename } mutation M { __typename }", "M"),
    ],
)
@pytest.mark.parametrize("accept", [SPEC, "application/json"])
async def test_get_of_a_mutation_or_subscription_is_405_allow_post(
    http: httpx.AsyncClient, query: str, operation_name: str | None, accept: str
) -> None:
    params = {"query": query, **({"operationName": operation_name} if operation_name else {})}
    response = await get(http, accept, **params)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(accept)
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_get_picking_the_query_of_a_mixed_document_runs_it(http: httpx.AsyncClient) -> None:
    response = await get(
        http, query="query Q { __typename } mutation M { __typename }", operationName="Q"
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


# --- operation selection -----------------------------------------------------------------


@pytest.mark.parametrize(("accept", "status"), [(SPEC, 400), ("application/json", 200)])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_unknown_operation_name_names_it_and_lists_the_documents(
    http: httpx.AsyncClient, accept: str, status: int, method: str
) -> None:
    params = {
        "query": "query First { __typename } query Second { __typename }",
        "operationName": "Third",
    }
    response = await (
        get(http, accept, **params) if method == "GET" else post(http, params, accept)
    )
    assert response.status_code == status
    error = only_error(response)
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "'Third'" in error["message"]
    assert "'First', 'Second'" in error["message"]


async def test_two_operations_without_operation_name_is_a_request_error(
    http: httpx.AsyncClient,
) -> None:
    response = await post(http, {"query": "query A { __typename } query B { __typename }"})
    assert response.status_code == 400
    error = only_error(response)
    assert error["message"] == (
        "operationName is required when the document has more than one operation."
    )


@pytest.mark.parametrize(
    "document",
    ["fragment F on Query { __typename }", "type Spaceship { name: String }"],
)
async def test_a_document_without_an_operation_is_a_request_error(
    http: httpx.AsyncClient, document: str
) -> None:
    response = await post(http, {"query": document})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


# --- request parameters --------------------------------------------------------------------


@pytest.mark.parametrize("extensions", ["string", 0, True, ["array"]])
async def test_extensions_that_is_not_an_object_is_400(
    http: httpx.AsyncClient, extensions: Any
) -> None:
    for accept in (SPEC, "application/json"):
        response = await post(http, {"query": "{ __typename }", "extensions": extensions}, accept)
        assert response.status_code == 400, response.text
        assert "`extensions` must be a JSON object" in only_error(response)["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"", "application/json", 400, "BAD_REQUEST"),
        (b"{not json", "application/json", 400, "BAD_REQUEST"),
        (b'[{"query": "{ __typename }"}]', "application/json", 400, "BAD_REQUEST"),
        (b'"a string"', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": 1}', "application/json", 400, "BAD_REQUEST"),
        (b"{ __typename }", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
async def test_a_request_that_is_no_graphql_request_is_refused_with_a_code(
    http: httpx.AsyncClient, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = await http.post(
        "/graphql", content=content, headers={"content-type": content_type, "accept": SPEC}
    )
    assert response.status_code == status, response.text
    assert only_error(response)["extensions"]["code"] == code


async def test_extensions_as_an_object_is_fine(http: httpx.AsyncClient) -> None:
    response = await post(http, {"query": "{ __typename }", "extensions": {"some": "value"}})
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ municipalities { ", "GRAPHQL_PARSE_FAILED"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_spec_media_type_parse_and_validation_failures_have_no_data_key(
    http: httpx.AsyncClient, query: str, code: str
) -> None:
    response = await post(http, {"query": query})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == code


async def test_variable_coercion_failure_is_a_request_error(http: httpx.AsyncClient) -> None:
    body = {"query": "query ($id: ID!) { process(id: $id) { title } }", "variables": {"id": None}}
    response = await post(http, body)
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await post(http, body, "application/json")).status_code == 200


async def test_many_unknown_directives_get_a_few_errors(http: httpx.AsyncClient) -> None:
    response = await post(http, {"query": "{ __typename " + "@aa " * 10 + "}"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert 1 < len(errors) <= 6
    assert "Validation aborted" in errors[-1]["message"]


async def test_an_unexpected_error_is_masked_with_its_request_id(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reusegraph.schema import viewer

    def boom(*_: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(viewer.Viewer, "of", classmethod(boom))
    response = await post(http, {"query": "{ viewer { subject } }"}, "application/json")
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert "secret detail" not in response.text
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] in error["message"]


# --- input rules ---------------------------------------------------------------------------

NUL_CASES = [
    ('{ processes(search: "a\\u0000b") { totalCount } }', None, "search"),
    ("query ($s: String) { processes(search: $s) { totalCount } }", {"s": "a\x00b"}, "search"),
    (
        '{ processes(filter: {technology: ["rpa\\u0000"]}) { totalCount } }',
        None,
        "filter.technology",
    ),
    (
        "query ($f: ProcessFilter) { processes(filter: $f) { totalCount } }",
        {"f": {"itSystem": ["sofie", "x\x00"]}},
        "filter.itSystem",
    ),
    (
        'mutation { processCreate(input: {title: "a\\u0000", phase: IDEA}) { clientMutationId } }',
        None,
        "input.title",
    ),
    (
        "mutation ($i: ProcessCreateInput!) { processCreate(input: $i) { clientMutationId } }",
        {"i": {"title": "t\x00", "phase": "IDEA"}},
        "input.title",
    ),
    ('{ municipality(code: "NO-5001\\u0000") { name } }', None, "code"),
    ('{ node(id: "\\u0000") { id } }', None, "id"),
]


@pytest.mark.parametrize(("query", "variables", "argument"), NUL_CASES)
async def test_a_nul_character_in_any_string_input_is_bad_user_input(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, argument: str
) -> None:
    response = await post(http, {"query": query, "variables": variables}, "application/json")
    assert response.status_code == 200
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert "NUL" in error["message"]


@pytest.mark.parametrize(
    ("query", "argument", "longest"),
    [
        ("query ($v: String) { processes(search: $v) { totalCount } }", "search", 500),
        ("query ($v: ID!) { node(id: $v) { id } }", "id", 512),
        ("query ($v: String) { processes(after: $v) { totalCount } }", "after", 512),
        ("query ($v: String!) { municipality(code: $v) { name } }", "code", 2000),
    ],
)
async def test_an_over_long_string_is_refused_by_its_kind(
    http: httpx.AsyncClient, query: str, argument: str, longest: int
) -> None:
    response = await post(http, {"query": query, "variables": {"v": "x" * (longest + 1)}})
    error = only_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": argument,
        "requestId": error["extensions"]["requestId"],
    }
    assert f"at most {longest}" in error["message"]


def test_every_string_kind_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for kind in STRING_KINDS:
        assert f"at most {kind.maximum:,}".replace(",", " ") in readme


async def test_the_export_parameters_obey_the_same_rules(http: httpx.AsyncClient) -> None:
    for params in ({"search": "a\x00b"}, {"technology": "rpa\x00"}, {"search": "x" * 501}):
        response = await http.get("/export/processes.csv", params=params)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["code"] == "BAD_USER_INPUT"
        assert body["parameter"] == next(iter(params))


def first_fields() -> set[str]:
    schema = build_schema()._schema
    return {
        f"{t.name}.{name}"
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")
        for name, field in t.fields.items()
        if "first" in field.args
    }


FIRST_ZERO = {
    "Query.processes": "processes(first: 0) { totalCount nodes { id } }",
    "Query.municipalities": "municipalities(first: 0) { totalCount nodes { code } }",
    "Query.vendors": "vendors(first: 0) { totalCount nodes { id } }",
    "Query.frameworkAgreements": "frameworkAgreements(first: 0) { totalCount nodes { id } }",
    "Query.networkMeetings": "networkMeetings(first: 0) { totalCount nodes { id } }",
    "Query.reuseLeaderboard": "reuseLeaderboard(first: 0) { linkCount }",
    "Query.similarProcesses": "similarProcesses(id: $process, first: 0) { score }",
    "Query.reuseCandidates": 'reuseCandidates(municipality: "NO-5001", first: 0) { score }',
    "Query.sharedProblems": "sharedProblems(first: 0) { subject }",
    "Query.reuseGraph": "reuseGraph(first: 0) { links { kind } truncated }",
    "Query.changes": "changes(first: 0) { upserts { id } tombstones { id } hasMore }",
    "Vendor.processesDelivered": (
        "vendors(first: 1) { nodes { processesDelivered(first: 0) { totalCount nodes { id } } } }"
    ),
}


SIGNED_IN_ONLY = {"Query.auditLog", "Query.trustedDocuments", "WebhookSubscription.deliveries"}
"""Need an editor's or admin's token to answer; its `first` passes the same input rule as every other."""


def test_every_first_in_the_schema_is_covered() -> None:
    assert set(FIRST_ZERO) | SIGNED_IN_ONLY == first_fields()
    assert set(FIRST_MAXIMUM) <= first_fields()


def first_query(coordinate: str, first: int, process: str) -> tuple[str, dict[str, Any] | None]:
    selection = FIRST_ZERO[coordinate].replace("first: 0", f"first: {first}")
    if "$process" in selection:
        return f"query ($process: ID!) {{ {selection} }}", {"process": process}
    return f"{{ {selection} }}", None


@pytest.mark.parametrize("coordinate", sorted(FIRST_ZERO))
async def test_first_zero_is_a_valid_empty_page_for_every_first(
    demo_api: GraphQLClient, coordinate: str
) -> None:
    picked = await demo_api.data("{ processes(first: 1) { nodes { id } } }")
    query, variables = first_query(coordinate, 0, picked["processes"]["nodes"][0]["id"])
    data = await demo_api.data(query, variables)
    if coordinate == "Vendor.processesDelivered":  # under a vendor that did deliver some
        data = data["vendors"]["nodes"][0]["processesDelivered"]
        assert data["totalCount"] > 0
    assert "[{" not in json.dumps(data), data  # nothing listed


@pytest.mark.parametrize("coordinate", sorted(FIRST_ZERO))
@pytest.mark.parametrize("first", [-1, "too many"])
async def test_first_out_of_range_is_refused_the_same_way_everywhere(
    demo_api: GraphQLClient, coordinate: str, first: int | str
) -> None:
    maximum = FIRST_MAXIMUM.get(coordinate, MAX_FIRST)
    value = maximum + 1 if first == "too many" else int(first)
    query, variables = first_query(coordinate, value, "Process:x")
    body = await demo_api.post(query, variables)
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "first"
    assert error["message"].startswith(f"first must be between 0 and {maximum}; got {value}.")


# --- tokens --------------------------------------------------------------------------------


@pytest.fixture
async def with_issuer(
    empty_db: Database, local_issuer: LocalIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(issuers=issuer_entry(local_issuer))
    async with (
        serving(create_app(settings, url_of(empty_db)), settings=settings) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield client


@pytest.mark.parametrize(
    "claims",
    [
        {"exp_in": 10**20},  # exp 10^20
        {"exp_in": 2 * 24 * 3600},  # two days from now
        {"iat": 1, "exp_in": 300},  # issued in 1970, good for five more minutes
    ],
)
async def test_a_token_living_longer_than_the_issuer_allows_is_refused(
    with_issuer: httpx.AsyncClient, local_issuer: LocalIssuer, claims: dict[str, Any]
) -> None:
    token = local_issuer.token("alice", municipality="NO-5001", roles=["member"], **claims)
    response = await with_issuer.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401, response.text
    error = only_error(response)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "lives longer than this issuer allows (86400 s)" in error["message"]


async def test_a_token_within_the_lifetime_is_accepted(
    with_issuer: httpx.AsyncClient, local_issuer: LocalIssuer
) -> None:
    token = local_issuer.token("alice", municipality="NO-5001", roles=["member"], exp_in=23 * 3600)
    response = await with_issuer.post(
        "/graphql",
        json={"query": "{ viewer { subject } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"] == {"viewer": {"subject": "alice"}}


# --- browser pages -------------------------------------------------------------------------


async def test_graphiql_loads_only_from_this_server(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "https://" not in response.text
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
        assert (await http.get(path)).status_code == 200, path


async def test_every_html_page_gets_frame_and_content_policies() -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from reusegraph.api.headers import SecurityHeaders

    async def page(_: object) -> HTMLResponse:
        return HTMLResponse("<p>hello</p>")

    app = SecurityHeaders(Starlette(routes=[Route("/", page)]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_logout_is_by_post_only(http: httpx.AsyncClient) -> None:
    assert (await http.get("/auth/logout")).status_code == 405
    response = await http.post("/auth/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/graphql"


# --- request head size ---------------------------------------------------------------------


async def test_a_16_mb_request_header_is_refused(api: GraphQLClient) -> None:
    url = httpx.URL(str(api.http.base_url))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        answer = asyncio.create_task(reader.read())
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * 65536
        with contextlib.suppress(ConnectionError):  # it may close before all of it is sent
            for _ in range(16 * 1024 * 1024 // len(chunk)):
                writer.write(chunk)
                await writer.drain()
            writer.write(b"\r\n\r\n")
            await writer.drain()
        received = await asyncio.wait_for(answer, 30)
    finally:
        writer.close()
    assert received.startswith(b"HTTP/1.1 431 Request Header Fields Too Large"), received[:200]
    assert b"larger than 65536 bytes" in received


async def test_a_normal_request_with_a_16_kb_token_header_still_passes(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/healthz", headers={"X-Padding": "a" * 20_000})
    assert response.status_code == 200


# --- production mode -----------------------------------------------------------------------


@pytest.fixture
async def production(empty_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with running_api(url_of(empty_db), production=True, graphiql=True) as client:
        yield client.http


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { name } } }",
        '{ __type(name: "Process") { fields { name } } }',
        "{ _service { sdl } }",
    ],
)
async def test_production_refuses_introspection(production: httpx.AsyncClient, query: str) -> None:
    response = await post(production, {"query": query})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"] == "Introspection is switched off on this server."


@pytest.mark.parametrize(
    "query",
    [
        "{ processes }",  # a selection missing: names ProcessConnection! in development
        "{ proceses { totalCount } }",  # Did you mean "processes"?
        "{ processes(frist: 1) { totalCount } }",
        '{ processes(first: "x") { totalCount } }',
        "{ municipality { name } }",
        "{ processes { totalCount { x } } }",
        "query ($f: ProcessFilterz) { processes(filter: $f) { totalCount } }",
    ],
)
async def test_production_validation_messages_name_nothing_of_the_schema(
    production: httpx.AsyncClient, api: GraphQLClient, query: str
) -> None:
    development = await post(api.http, {"query": query})
    assert development.status_code == 400
    # What development mode names: the schema's types, fields and arguments, quoted.
    told = set(re.findall(r"""['"]([A-Za-z_]\w*)[!\]]*['"]""", development.text))
    told -= set(re.findall(r"\w+", query))  # the client's own words tell it nothing
    told -= {"Int", "String", "Boolean", "ID", "Float"}
    assert told, development.text
    response = await post(production, {"query": query})
    assert response.status_code == 400
    for error in response.json()["errors"]:
        assert not set(re.findall(r"\w+", error["message"])) & told, error["message"]
        assert "Did you mean" not in error["message"]
        assert error["locations"]


async def test_production_variable_messages_name_only_the_variable(
    production: httpx.AsyncClient,
) -> None:
    response = await post(
        production,
        {
            "query": "query ($f: ProcessFilter) { processes(filter: $f) { totalCount } }",
            "variables": {"f": {"municipalityz": ["NO-5001"]}},
        },
    )
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert message == "Variable '$f' has a value that does not fit its type."


async def test_production_still_runs_queries(production: httpx.AsyncClient) -> None:
    response = await post(production, {"query": "{ municipalities { totalCount } __typename }"})
    assert response.json()["data"] == {"municipalities": {"totalCount": 0}, "__typename": "Query"}


async def test_production_graphiql_is_given_the_published_schema(
    production: httpx.AsyncClient,
) -> None:
    response = await production.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert '"__schema"' in response.text
    assert '"processes"' in response.text


def test_graphiql_is_off_by_default_in_production() -> None:
    assert Settings(production=True).graphiql_on is False
    assert Settings().graphiql_on is True
    assert Settings(production=True, graphiql=True).graphiql_on is True


# --- trusted documents ---------------------------------------------------------------------

TRUSTED = "query Count { municipalities { totalCount } }"


@pytest.fixture
async def trusted(empty_db: Database, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "documents.json"
    path.write_text(json.dumps({f"sha256:{document_hash(TRUSTED)}": TRUSTED}))
    async with running_api(url_of(empty_db), trusted_documents=path) as client:
        yield client.http


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": f"sha256:{document_hash(TRUSTED)}"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(TRUSTED)}}},
        {"query": TRUSTED},
    ],
)
async def test_a_registered_document_runs(trusted: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await post(trusted, body)
    assert response.json()["data"] == {"municipalities": {"totalCount": 0}}


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ municipalities { totalCount } }"},
        {"documentId": "sha256:" + "0" * 64},
        {"documentId": "whatever"},
        {},
    ],
)
async def test_anything_else_is_refused_in_trusted_mode(
    trusted: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await post(trusted, body)
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "trusted documents" in error["message"]


async def test_without_trusted_mode_an_unknown_hash_is_not_found(
    http: httpx.AsyncClient,
) -> None:
    """Automatic persisted queries (``api/persisted.py``): the client sends the document next."""
    response = await post(http, {"documentId": "sha256:" + "0" * 64})
    assert response.status_code == 200
    error = only_error(response)
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    malformed = await post(http, {"documentId": "whatever"})
    assert malformed.status_code == 400
    assert "`documentId` must be a document's SHA-256" in only_error(malformed)["message"]


def test_a_trusted_documents_file_with_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "documents.json"
    path.write_text(json.dumps({"0" * 64: TRUSTED}))
    with pytest.raises(TrustedDocumentsError, match="is not the SHA-256 of its document"):
        TrustedDocuments.load(path)
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": document_hash(TRUSTED), "name": "Count", "type": "query", "body": TRUSTED}
        ],
    }
    path.write_text(json.dumps(manifest))
    assert len(TrustedDocuments.load(path)) == 1
