"""Bearer token validation: from a compact JWS to a verified set of claims.

The order matters. Size and shape are checked before any parsing; the unverified ``iss``
is only used to look the issuer up in our own registry (an unknown one costs no network
call); keys come only from that issuer's JWKS; the algorithm must be on that issuer's
allow-list; and the claims are validated explicitly, because decoding a JWS checks
nothing but the signature.
"""

import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jws import JWSRegistry

from reusegraph.auth.errors import InvalidToken
from reusegraph.auth.issuers import IssuerConfig
from reusegraph.auth.jwks import KeyCache

MAX_TOKEN_BYTES = 16 * 1024
MAX_HEADER_BYTES = 2048
# Keys travel only through the issuer's jwks_uri; a token pointing elsewhere is refused.
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c"})

IssuerLookup = Callable[[str], Awaitable[IssuerConfig | None]]


class TokenValidator:
    def __init__(self, lookup: IssuerLookup, keys: KeyCache) -> None:
        self._lookup = lookup
        self._keys = keys

    async def validate(self, token: str) -> tuple[IssuerConfig, dict[str, Any]]:
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken(f"The token is larger than {MAX_TOKEN_BYTES} bytes.")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts[:2]):
            raise InvalidToken("The token is not a signed JWT (header.payload.signature).")
        if len(parts[0]) > MAX_HEADER_BYTES:
            raise InvalidToken("The token header is too large.")
        header = _segment(parts[0], "header")
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise InvalidToken("The token header names no algorithm.")
        if FORBIDDEN_HEADERS & header.keys():
            raise InvalidToken(
                "Tokens that point to their own keys (jku, x5u, jwk, x5c) are refused."
            )
        issuer = _segment(parts[1], "payload").get("iss")
        config = await self._lookup(issuer) if isinstance(issuer, str) else None
        if config is None:
            raise InvalidToken("The token's issuer is not trusted by this gateway.")
        if alg not in config.algorithms:
            raise InvalidToken(
                f"Algorithm {alg} is not allowed for this issuer; allowed: "
                + ", ".join(config.algorithms)
            )
        claims = await self._verify(token, config)
        _check_claims(claims, config)
        return config, claims

    async def _verify(self, token: str, config: IssuerConfig) -> dict[str, Any]:
        registry = JWSRegistry(algorithms=list(config.algorithms), strict_check_header=False)
        keys = await self._keys.keys(config)
        try:
            try:
                return jwt.decode(token, keys, registry=registry).claims
            except InvalidKeyIdError:
                fresh = await self._keys.refetch(config)
                if fresh is None:
                    raise
                return jwt.decode(token, fresh, registry=registry).claims
        except InvalidKeyIdError:
            raise InvalidToken(
                "The token is signed with a key the issuer does not publish."
            ) from None
        except JoseError:
            raise InvalidToken("The token's signature is not valid.") from None
        except (ValueError, TypeError):
            raise InvalidToken("The token is malformed.") from None


def _check_claims(claims: dict[str, Any], config: IssuerConfig) -> None:
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.audience},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    if config.tenant_claim and config.tenant:
        options[config.tenant_claim] = {"essential": True, "value": config.tenant}
    registry = jwt.JWTClaimsRegistry(leeway=config.leeway_seconds, **options)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidToken("The token has expired.") from None
    except MissingClaimError as error:
        raise InvalidToken(f"The token lacks a required claim ({error.description}).") from None
    except JoseError as error:
        raise InvalidToken(f"The token's claims are not valid ({error.description}).") from None
    _check_lifetime(claims, config)


def _check_lifetime(claims: dict[str, Any], config: IssuerConfig) -> None:
    """No token outlives the issuer's maximum: from when it was issued, nor from now."""
    longest = config.max_token_lifetime_seconds + config.leeway_seconds
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float):
        raise InvalidToken("The token's claims are not valid (exp is not a number).")
    issued_long_ago = isinstance(issued, int | float) and expires - issued > longest
    if expires - time.time() > longest or issued_long_ago:
        raise InvalidToken(
            "The token lives longer than this issuer allows"
            f" ({config.max_token_lifetime_seconds} s); ask the issuer for a shorter one."
        )


def _segment(raw: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidToken(f"The token {what} is not base64url JSON.") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"The token {what} is not a JSON object.")
    return value
