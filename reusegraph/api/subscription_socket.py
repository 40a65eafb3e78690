"""GraphQL subscriptions over a WebSocket at ``/graphql``: the ``graphql-transport-ws`` protocol.

Strawberry runs the protocol (``connection_init``/``ack``, ``subscribe``, ``next``,
``complete``, ping/pong, its close codes); this class decides who the caller is. A
browser cannot set a WebSocket's headers, so the token comes in the ``connection_init``
payload, ``{"Authorization": "Bearer <token>"}``, checked by the same authenticator as
any request; a bad token closes the socket with 4403 (the protocol's "Forbidden").
Without one, a GraphiQL login's session cookie counts, but only from a page of this
server's own origin (no cross-site WebSocket hijacking), else the caller is anonymous
(or refused, where tokens are required). Only subscriptions run here: queries and
mutations have their own request, transaction and deadline.
"""

from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from graphql import GraphQLError
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from reusegraph.auth.authenticator import Authenticator
from reusegraph.auth.errors import AuthError
from reusegraph.auth.principal import ANONYMOUS
from reusegraph.events.live import ChangeHub
from reusegraph.events.url_guard import UrlGuard
from reusegraph.schema import Schema
from reusegraph.schema.context import Context
from reusegraph.schema.core.errors import format_error
from reusegraph.store.engine import Database, Reader

MAX_SUBSCRIPTIONS = 20
"""Per connection: each one is a reader of every change."""


class _SubscriptionsOnly:
    """The schema as the protocol handler sees it: ``stream`` runs subscriptions only."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    async def stream(self, *args: Any, **kwargs: Any) -> StreamResult:
        kwargs["allowed_operation_types"] = {OperationType.SUBSCRIPTION}
        result: StreamResult = await self._schema.stream(*args, **kwargs)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)


class _Formatted(GraphQLError):
    """An error as ``format_error`` writes it (codes, masking), which Strawberry sends."""

    def __init__(self, error: GraphQLError, body: dict[str, Any]) -> None:
        super().__init__(error.message, original_error=error.original_error)
        self.body = body

    @property
    def formatted(self) -> Any:
        return self.body


class _Handler(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.graphql_schema = self.schema._schema  # type: ignore[attr-defined]
        self.schema = cast(BaseSchema, _SubscriptionsOnly(self.schema))

    async def _send_result_stream(self, operation: Any, result_source: Any) -> None:
        await super()._send_result_stream(operation, self._formatted(result_source))

    async def _formatted(self, results: Any) -> AsyncGenerator[Any, None]:
        request_id = self.context.request_id
        try:
            async for result in results:
                if result.errors:
                    result.errors = [
                        _Formatted(e, format_error(e, self.graphql_schema, request_id))
                        for e in result.errors
                    ]
                yield result
        finally:
            await results.aclose()


class SubscriptionSocket(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = _Handler

    def __init__(
        self,
        schema: Schema,
        db: Database,
        authenticator: Authenticator,
        hub: ChangeHub,
        url_guard: UrlGuard,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        )
        self.db = db
        self.authenticator = authenticator
        self.hub = hub
        self.url_guard = url_guard

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context(
            reader=Reader(self.db, ANONYMOUS),
            viewer=ANONYMOUS,
            request_id=f"ws-{id(request):x}",
            db=self.db,
            request=request,
            url_guard=self.url_guard,
            hub=self.hub,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params: Mapping[str, Any] = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is not None and not isinstance(header, str):
            raise ConnectionRejectionError()
        connection = context.request
        assert connection is not None
        try:
            if header is None and not _same_origin(connection):
                viewer = await self.authenticator.principal_of(_without_cookies(connection))
            else:
                viewer = await self.authenticator.principal_of(connection, header)
        except AuthError:
            raise ConnectionRejectionError() from None
        context.become(viewer)
        return cast(UnsetType, UNSET)


def _same_origin(connection: HTTPConnection) -> bool:
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == connection.headers.get("host")


def _without_cookies(connection: HTTPConnection) -> HTTPConnection:
    scope = dict(connection.scope)
    scope["headers"] = [(k, v) for k, v in connection.scope["headers"] if k != b"cookie"]
    scope.pop("session", None)
    return HTTPConnection(scope)
