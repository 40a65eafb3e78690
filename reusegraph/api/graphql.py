"""GraphQL over HTTP (the GraphQL-over-HTTP spec), written directly on ``schema.execute``.

Owning the endpoint, rather than subclassing Strawberry's view, keeps the request path in
one place: one database transaction per request, status codes by the spec, orjson, and
the error format (codes, request id, masking) of ``schema.core.errors``.
"""

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, introspection_from_schema
from graphql import OperationType as DocumentOperation
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.federation import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from reusegraph.api import etag
from reusegraph.api.compiled import CompiledPath
from reusegraph.api.graphiql import Page, render_graphiql
from reusegraph.api.operations import Operations, Prepared, Refused, request_error
from reusegraph.api.persisted import NOT_FOUND_CACHE_CONTROL as APQ_NOT_FOUND_CACHE_CONTROL
from reusegraph.api.persisted import (
    BadPersistedQuery,
    PersistedQueries,
    PersistedQueryNotFound,
    checked,
    document_id_hash,
    not_found_body,
    persisted_hash,
    requested_hash,
)
from reusegraph.api.trusted import NOT_FOUND as PERSISTED_QUERY_NOT_FOUND
from reusegraph.api.trusted import NotTrusted, TrustedDocuments
from reusegraph.auth.authenticator import Authenticator, challenge
from reusegraph.auth.errors import AuthError, InvalidToken
from reusegraph.auth.principal import Principal, Role
from reusegraph.events.url_guard import UrlGuard
from reusegraph.observability.requests import note_operation
from reusegraph.schema.context import Context
from reusegraph.schema.core.errors import format_error
from reusegraph.schema.limits.budget import refusal_status
from reusegraph.schema.provenance import stale_sources, tracking
from reusegraph.store.data_version import DataVersionListener
from reusegraph.store.engine import Database
from reusegraph.store.errors import DatabaseUnavailable

log = logging.getLogger("reusegraph.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PATH_HEADER = "X-Reusegraph-Path"
"""Which path answered: ``compiled``, ``executor`` with the compiler's reason, or
``not-modified`` (a 304 from the ETag alone)."""
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
QUERIES_ONLY = frozenset({DocumentOperation.QUERY})
SUBSCRIPTIONS_ELSEWHERE = (
    "Subscriptions run over a WebSocket at /graphql (graphql-transport-ws) or as"
    " Server-Sent Events (send the request with Accept: text/event-stream)."
)
_STRAWBERRY_REFUSALS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)


_STATUS_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class RequestError(Exception):
    """The request is not a GraphQL request we can run: answered before execution.

    Every answer's error has a code (clients, the request log and the error metric go by
    it), so one not given is that of the status."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.code = code or _STATUS_CODES.get(status, "BAD_REQUEST")


@dataclass(frozen=True)
class Admitted:
    prepared: Prepared
    viewer: Principal
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


class GraphQLEndpoint:
    def __init__(
        self,
        schema: Schema,
        db: Database,
        authenticator: Authenticator,
        *,
        max_body_bytes: int,
        graphiql: bool,
        production: bool = False,
        trusted: TrustedDocuments | None = None,
        on_issuers_changed: Callable[[], None] | None = None,
        compiled: CompiledPath | None = None,
        url_guard: UrlGuard | None = None,
        data_version: DataVersionListener | None = None,
    ) -> None:
        self.schema = schema
        self.db = db
        self.authenticator = authenticator
        self.max_body_bytes = max_body_bytes
        self.graphiql = graphiql
        self.production = production
        self.trusted = trusted
        self.on_issuers_changed = on_issuers_changed
        self.compiled = compiled
        self.url_guard = url_guard or UrlGuard()
        self.operations = Operations(schema._schema, production=production)
        self.data_version = data_version
        self.persisted = PersistedQueries(db)
        self.schema_version = etag.schema_version(schema._schema)
        self._page: Page | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        header = request.headers.get("x-request-id", "")
        request_id = header if _REQUEST_ID.match(header) else uuid.uuid4().hex
        media_type = _response_type(request.headers.get("accept", ""))
        get = request.method == "GET"
        try:
            if get and _wants_html(request):
                if not self.graphiql:
                    raise RequestError(404, "GraphiQL is switched off on this server.")
                return self._graphiql_page()
            params = await self._parse(request)
            anonymous = etag.is_anonymous(request)
            tag = self._entity_tag(params, media_type) if get and anonymous else None
            if tag is not None and etag.none_match(request.headers.get("if-none-match", ""), tag):
                return etag.not_modified(tag, {"X-Request-ID": request_id, PATH_HEADER: etag.PATH})
            admitted = await self.admit(request, QUERIES_ONLY if get else None, params)
            if admitted.prepared.type is DocumentOperation.SUBSCRIPTION:
                raise Refused([request_error(SUBSCRIPTIONS_ELSEWHERE, "BAD_REQUEST")])
        except PersistedQueryNotFound:
            return self.persisted_query_not_found(media_type, request_id)
        except (RequestError, Refused) as error:
            return self.refused(error, media_type, request_id)
        prepared, viewer, query = admitted.prepared, admitted.viewer, admitted.query
        variables, operation_name = admitted.variables, admitted.operation_name

        path = "executor"
        if self.compiled is not None:
            try:
                answer = await self.compiled.answer(
                    request, prepared.document, query, operation_name, variables, viewer
                )
            except DatabaseUnavailable:
                answer = "the database is unavailable (the executor reports it)"
            if isinstance(answer, bytes):
                cache = etag.cache_headers(anonymous, tag)
                return _raw_response(answer, media_type, request_id, cache)
            path = f"executor; {answer}"
        allowed = {OperationType.QUERY} if get else None
        async with self.db.read(viewer) as reader:
            context = Context(
                reader=reader,
                viewer=viewer,
                request_id=request_id,
                db=self.db,
                on_issuers_changed=self.on_issuers_changed,
                request=request,
                url_guard=self.url_guard,
            )
            try:
                with tracking() as touched:
                    result = await self.schema.execute(
                        query,
                        variable_values=variables,
                        context_value=context,
                        operation_name=operation_name,
                        allowed_operation_types=allowed,
                    )
                stale = await stale_sources(context, touched)
            except _STRAWBERRY_REFUSALS as error:  # prepare() has caught these already
                log.warning(
                    "refused before execution by Strawberry (request %s): %s", request_id, error
                )
                return self._refusal(
                    [GraphQLError(str(error), extensions={"code": "BAD_REQUEST"})],
                    None,
                    media_type,
                    request_id,
                )
            finally:
                context.loaders.release()
        if prepared.type is not DocumentOperation.QUERY and self.data_version is not None:
            await self.data_version.refresh()  # this replica's next answer shows the write
        if budget_refusal := refusal_status(result.errors):
            status, headers = budget_refusal
            return self._refusal(result.errors or [], status, media_type, request_id, headers)
        if result.data is None and result.errors and not any(e.path for e in result.errors):
            # Refused before execution by the schema's own rules (depth, aliases, cost): a
            # request error, answered without `data`.
            return self._refusal(result.errors, None, media_type, request_id)
        body: dict[str, Any] = {}
        if result.errors:
            schema = self.schema._schema
            body["errors"] = [format_error(e, schema, request_id) for e in result.errors]
        body["data"] = result.data
        reported: dict[str, Any] = {**(result.extensions or {})}
        if stale:
            reported["sources"] = stale
        if reported:
            body["extensions"] = reported
        if result.errors or stale:
            tag = None
        headers = {PATH_HEADER: path, **etag.cache_headers(anonymous, tag)}
        return _response(body, 200, media_type, request_id, headers)

    def _entity_tag(self, params: dict[str, Any], media_type: str) -> str | None:
        """The tag an anonymous GET's answer gets; None while the version is unknown."""
        version = self.data_version.current if self.data_version is not None else None
        document = requested_hash(params)
        if version is None or document is None or self.authenticator.require_token:
            return None
        name, variables = params.get("operationName"), params.get("variables")
        return etag.entity_tag(version, document, name, variables, self.schema_version, media_type)

    async def _register(self, sha256_hash: str, query: str) -> None:
        try:
            await self.persisted.register(sha256_hash, query)
        except DatabaseUnavailable:
            log.warning("a persisted query could not be kept; it runs this time only")

    async def admit(
        self,
        request: Request,
        allowed: frozenset[DocumentOperation] | None,
        params: dict[str, Any] | None = None,
    ) -> "Admitted":
        """The request's operation, prepared and checked, and its caller; or a refusal
        (``RequestError``, ``Refused``, ``PersistedQueryNotFound``) answered without
        ``data``. ``params``: the request's, when the caller has parsed them already.
        A persisted-query hash sent with its document is kept once the document validates."""
        if params is None:
            params = await self._parse(request)
        viewer = await self._authenticate(request)
        query, register = await self._document(params, viewer)
        variables = params.get("variables")
        operation_name = params.get("operationName")
        prepared = self.operations.prepare(query, operation_name, allowed)
        note_operation(prepared.name, prepared.type.value, viewer, variables)
        if register is not None:
            await self._register(register, query)
        errors = prepared.variable_errors(
            self.schema._schema, variables, production=self.production
        )
        if errors:
            raise Refused(errors)
        return Admitted(prepared, viewer, query, variables, operation_name)

    def persisted_query_not_found(self, media_type: str, request_id: str) -> Response:
        """Apollo's answer to a hash it does not know: the client sends the document next."""
        apq = {"Cache-Control": APQ_NOT_FOUND_CACHE_CONTROL}
        return _response(not_found_body(request_id), 200, media_type, request_id, apq)

    def refused(self, error: RequestError | Refused, media_type: str, request_id: str) -> Response:
        if isinstance(error, Refused):
            return self._refusal(error.errors, error.status, media_type, request_id, error.headers)
        extensions = {"requestId": request_id}
        if error.code:
            extensions["code"] = error.code
        refusal: dict[str, Any] = {"errors": [{"message": str(error), "extensions": extensions}]}
        return _response(refusal, error.status, media_type, request_id, error.headers)

    def _refusal(
        self,
        errors: Sequence[GraphQLError],
        status: int | None,
        media_type: str,
        request_id: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """A request error: no `data`; 400 for the spec's media type, 200 for plain JSON."""
        schema = self.schema._schema
        body = {"errors": [format_error(e, schema, request_id) for e in errors]}
        if status is None:
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
        return _response(body, status, media_type, request_id, headers)

    def _graphiql_page(self) -> Response:
        if self._page is None:
            # Production: introspection is refused, so GraphiQL gets the published schema.
            schema = introspection_from_schema(self.schema._schema) if self.production else None
            self._page = render_graphiql(dict(schema) if schema is not None else None)
        return HTMLResponse(self._page.html, headers=self._page.headers)

    async def _document(self, params: dict[str, Any], viewer: Principal) -> tuple[str, str | None]:
        """The document to run, and the hash to keep it under once it validates (APQ).

        Trusted documents: only the registered ones, nothing is kept; an admin may send
        any document (``api/trusted.py``). Otherwise the request's text, or the document
        a persisted-query hash names (``api/persisted.py``)."""
        query = params.get("query")
        document_id = params.get("documentId")
        extensions = params.get("extensions") or {}
        trusted = self.trusted
        sends_text = isinstance(query, str) and bool(query.strip()) and document_id is None
        if trusted is not None and not (sends_text and Role.ADMIN in viewer.roles):
            try:
                return await trusted.document_of(query, document_id, extensions, self.db), None
            except NotTrusted as error:
                raise Refused([request_error(str(error), PERSISTED_QUERY_NOT_FOUND)]) from None
            except DatabaseUnavailable:
                raise _unavailable() from None
        text = query if isinstance(query, str) and query.strip() else None
        try:
            sent = persisted_hash(extensions)
            if sent is None and document_id is not None:
                sent = document_id_hash(document_id)
            if text is not None and sent is not None:
                checked(sent, text)
        except BadPersistedQuery as error:
            raise RequestError(400, str(error), code="BAD_REQUEST") from None
        if text is not None:
            return text, sent if trusted is None else None
        if sent is None:
            raise RequestError(400, "`query` must be a non-empty string.")
        try:
            return await self.persisted.document_of(sent), None
        except DatabaseUnavailable:
            raise _unavailable() from None

    async def _authenticate(self, request: Request) -> Principal:
        try:
            return await self.authenticator.principal_of(request)
        except InvalidToken as error:
            raise RequestError(
                401, str(error), {"WWW-Authenticate": challenge(error)}, "UNAUTHENTICATED"
            ) from None
        except AuthError as error:
            raise RequestError(
                error.status, str(error), {"Retry-After": "5"}, "SERVICE_UNAVAILABLE"
            ) from None

    async def _parse(self, request: Request) -> dict[str, Any]:
        """The request's parameters, each of the type the spec says (else a 400)."""
        if request.method == "GET":
            params: Any = dict(request.query_params)
            if "variables" in params:
                params["variables"] = _json(params["variables"], "variables")
            if "extensions" in params:
                params["extensions"] = _json(params["extensions"], "extensions")
        elif request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON:
                raise RequestError(
                    415,
                    "POST /graphql needs Content-Type: application/json.",
                    {"Accept-Post": JSON},
                )
            body = await _read_limited(request, self.max_body_bytes)
            params = _json(body, "request body")
            if isinstance(params, list):
                raise RequestError(400, "Batched requests are not supported; send one operation.")
        else:
            raise RequestError(405, "Use GET (queries) or POST.", {"Allow": "GET, POST"})
        if not isinstance(params, dict):
            raise RequestError(400, "The request body must be a JSON object.")
        query = params.get("query")
        if query is not None and not isinstance(query, str):
            raise RequestError(400, "`query` must be a string.")
        for name in ("variables", "extensions"):
            value = params.get(name)
            if value is not None and not isinstance(value, dict):
                raise RequestError(400, f"`{name}` must be a JSON object.")
        for name in ("operationName", "documentId"):
            value = params.get(name)
            if value is not None and not isinstance(value, str):
                raise RequestError(400, f"`{name}` must be a string.")
        return params  # type: ignore[no-any-return]


def _json(raw: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"The {what} is not valid JSON.") from None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _wants_html(request: Request) -> bool:
    return "query" not in request.query_params and "text/html" in request.headers.get("accept", "")


def _response_type(accept: str) -> str:
    """The spec's media type when the client asks for it; plain JSON otherwise."""
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON


def _raw_response(
    body: bytes, media_type: str, request_id: str, headers: dict[str, str]
) -> Response:
    all_headers = {"X-Request-ID": request_id, PATH_HEADER: "compiled", **headers}
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=all_headers)


def _unavailable() -> RequestError:
    return RequestError(
        503,
        "The database is unavailable; try again shortly.",
        {"Retry-After": "5"},
        "SERVICE_UNAVAILABLE",
    )


def _response(
    body: dict[str, Any],
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Response:
    all_headers = {"X-Request-ID": request_id, **(headers or {})}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=all_headers,
    )
