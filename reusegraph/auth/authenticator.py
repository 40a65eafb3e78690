"""One Principal per request, from the Authorization header (RFC 6750) or a GraphiQL login.

A browser that logged in through GraphiQL carries only a session cookie; its token stays
on the server (``BrowserSessions``), so it never sits in the page or in the cookie.
"""

from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection

from reusegraph.auth.claims import principal_from_claims
from reusegraph.auth.errors import InvalidToken
from reusegraph.auth.principal import ANONYMOUS, Principal
from reusegraph.auth.tokens import TokenValidator

SessionToken = Callable[[HTTPConnection], Awaitable[str | None]]


class TokenRequired(InvalidToken):
    """No credentials at all, on a server that requires them (no ``error`` in the challenge)."""


class Authenticator:
    def __init__(
        self,
        validator: TokenValidator,
        *,
        require_token: bool = False,
        session_token: SessionToken | None = None,
    ) -> None:
        self.validator = validator
        self.require_token = require_token
        self._session_token = session_token

    async def principal_of(
        self, request: HTTPConnection, authorization: str | None = None
    ) -> Principal:
        """``authorization``: the header's value sent another way (a WebSocket's
        ``connection_init`` payload, since browsers cannot set a WebSocket's headers)."""
        header = (
            authorization if authorization is not None else request.headers.get("authorization")
        )
        if header is None:
            token = await self._session_token(request) if self._session_token else None
            if token is None:
                if self.require_token:
                    raise TokenRequired("This server requires a bearer token.")
                return ANONYMOUS
        else:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token or " " in token:
                raise InvalidToken("The Authorization header must be 'Bearer <token>'.")
        config, claims = await self.validator.validate(token)
        return principal_from_claims(config, claims)


def challenge(error: InvalidToken) -> str:
    """The WWW-Authenticate value for a refused request (RFC 6750 section 3)."""
    if isinstance(error, TokenRequired):
        return 'Bearer realm="reusegraph"'
    description = str(error).replace('"', "'")
    return f'Bearer realm="reusegraph", error="invalid_token", error_description="{description}"'
