"""Errors a client can act on, and how every error is shown to clients.

    AppError                  message is safe to show; carries extensions.code
    +-- BadUserInput          BAD_USER_INPUT: an argument is wrong (names it, says what is allowed)
    +-- Unauthenticated       UNAUTHENTICATED
    +-- Forbidden             FORBIDDEN
    +-- ServiceUnavailable    SERVICE_UNAVAILABLE: try again later

Anything else is unexpected: its message is replaced and it is logged with the request id.
"""

import logging
import re
from typing import Any, ClassVar

from graphql import GraphQLEnumType, GraphQLError, GraphQLSchema

from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.pagination import InvalidCursor

log = logging.getLogger("reusegraph.errors")


class AppError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = extensions


class BadUserInput(AppError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message, **({"argument": argument} if argument else {}))


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"


class Forbidden(AppError):
    code = "FORBIDDEN"


class ServiceUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


_ENUM_VALUE = re.compile(
    r"""does not exist in ["'](\w+)["'] enum|Enum ["'](\w+)["'] cannot represent"""
)


def _with_allowed_values(message: str, schema: GraphQLSchema) -> str | None:
    """graphql-core names the enum but not its values: add them, so the client can fix it."""
    match = _ENUM_VALUE.search(message)
    if not match:
        return None
    enum = schema.get_type(match.group(1) or match.group(2))
    if not isinstance(enum, GraphQLEnumType):
        return None
    head = message.split(" Did you mean")[0].rstrip(".")
    return f"{head}. Allowed values: {', '.join(enum.values)}."


def format_error(error: GraphQLError, schema: GraphQLSchema, request_id: str) -> dict[str, Any]:
    original = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    extensions: dict[str, Any] = {}
    message = error.message
    if error.message.startswith("Variable ") and not isinstance(original, AppError):
        original = None  # a variable that does not fit its type: the client's to fix
    if isinstance(original, InvalidCursor):
        original = BadUserInput(str(original), argument=original.argument)
    if isinstance(original, DatabaseUnavailable):
        original = ServiceUnavailable("The database is unavailable; try again in a moment.")
    if isinstance(original, AppError):
        message = str(original)
        extensions = {"code": original.code, **original.extensions}
    elif original is None:
        own_code = (error.extensions or {}).get("code")
        enum_message = _with_allowed_values(message, schema)
        if enum_message is not None:
            message, extensions["code"] = enum_message, "BAD_USER_INPUT"
        elif isinstance(own_code, str):
            extensions = dict(error.extensions or {})  # refused before execution, coded
        elif message.startswith("Variable "):
            extensions["code"] = "BAD_USER_INPUT"
        elif message.startswith("Syntax Error"):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    else:
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(map(str, error.path or [])) or "request",
            request_id,
            exc_info=original,
        )
        message = f"Internal error; quote request id {request_id} when reporting it."
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    extensions["requestId"] = request_id
    formatted: dict[str, Any] = {"message": message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path:
        formatted["path"] = error.path
    formatted["extensions"] = extensions
    return formatted
