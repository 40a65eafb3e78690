"""A pure-Python OpenID issuer on real loopback HTTP, for fast and hostile-token tests.

oidc-provider (tests/support/oidc.py) proves interoperability, but it costs a Node.js start and
cannot sign whatever a test asks for. This issuer signs any header and claims with its own keys,
serves discovery and JWKS over real HTTP, counts every fetch per path, and can be made slow,
failing or unreachable to test IdP outages. It runs uvicorn in its own thread, so sync and async
tests (and the app under test in the test's event loop) can use it alike.
"""

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import uvicorn
from joserfc import jws
from joserfc.jwk import ECKey, KeyParameters, KeySetSerialization, RSAKey
from joserfc.jws import JWSRegistry
from starlette.types import Receive, Scope, Send

SigningKey = RSAKey | ECKey
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"


def new_signing_key(alg: str = "RS256", kid: str | None = None) -> SigningKey:
    """A fresh private key for ``alg`` (RSA 2048 for RS256/PS256, P-256 for ES256)."""
    if alg not in SIGNING_ALGORITHMS:
        raise ValueError(f"alg must be one of {SIGNING_ALGORITHMS}, not {alg!r}")
    parameters: KeyParameters = {
        "kid": kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}",
        "alg": alg,
        "use": "sig",
    }
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters)
    return RSAKey.generate_key(2048, parameters=parameters)


def sign_jwt(claims: Mapping[str, Any], header: Mapping[str, Any], key: SigningKey) -> str:
    """A compact JWS of ``claims``; ``header`` is used as given (any extra fields allowed)."""
    registry = JWSRegistry(algorithms=[str(header["alg"])], strict_check_header=False)
    payload = json.dumps(dict(claims), separators=(",", ":"))
    return jws.serialize_compact(dict(header), payload, key, registry=registry)


class LocalIssuer:
    """An issuer at ``http://127.0.0.1:<port><path>`` with discovery and JWKS.

    ``path`` allows several issuers per host (e.g. Entra-like ``/<tenant>/v2.0``). ``tenant``
    (default: a random id) goes into each token as ``tid``, as Entra ID does: its tenants share
    signing keys, so only a pinned ``tid`` tells them apart.
    Outage knobs, read on every request: ``delay`` (seconds before answering) and ``status``
    (answer every request with this HTTP status); ``offline()`` closes the port altogether.
    """

    def __init__(
        self,
        *,
        alg: str = "RS256",
        audience: str = "urn:reusegraph",
        path: str = "",
        tenant: str | None = None,
    ) -> None:
        self.audience = audience
        self.path = path.rstrip("/")
        self.tenant = tenant or str(uuid.uuid4())
        self.keys: list[SigningKey] = [new_signing_key(alg)]
        self.delay = 0.0
        self.status: int | None = None
        self.port = 0
        self._documents: dict[str, tuple[bytes, str]] = {}
        self._fetches: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- identity -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.base_url + self.path

    @property
    def discovery_url(self) -> str:
        return self.issuer + DISCOVERY_PATH

    @property
    def jwks_uri(self) -> str:
        return self.issuer + JWKS_PATH

    @property
    def signing_key(self) -> SigningKey:
        """The key new tokens are signed with (the first published one)."""
        return self.keys[0]

    @property
    def kid(self) -> str:
        return str(self.signing_key.kid)

    def public_jwks(self) -> KeySetSerialization:
        return {"keys": [key.as_dict(private=False) for key in self.keys]}

    def rotate(self, alg: str | None = None, *, keep_previous: bool = True) -> SigningKey:
        """Sign with a new key from now on; the old ones stay published unless told otherwise."""
        key = new_signing_key(alg or str(self.signing_key.alg))
        self.keys = [key, *self.keys] if keep_previous else [key]
        return key

    # --- tokens ---------------------------------------------------------------------------

    def claims(
        self,
        sub: str = "alice",
        *,
        aud: str | list[str] | None = None,
        municipality: str | None = None,
        roles: list[str] | None = None,
        scope: str | None = None,
        exp_in: int = 300,
        **extra: Any,
    ) -> dict[str, Any]:
        """Claims of a valid access token of this issuer; ``extra`` adds or overrides claims."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience if aud is None else aud,
            "iat": now,
            "nbf": now,
            "exp": now + exp_in,
            "jti": uuid.uuid4().hex,
            "tid": self.tenant,
        }
        optional = {"municipality": municipality, "roles": roles, "scope": scope}
        claims.update({name: value for name, value in optional.items() if value is not None})
        claims.update(extra)
        return claims

    def sign(
        self,
        claims: Mapping[str, Any],
        header: Mapping[str, Any] | None = None,
        key: SigningKey | None = None,
    ) -> str:
        """Sign ``claims``; the header defaults to the key's ``alg``/``kid`` and ``typ: at+jwt``."""
        key = key or self.signing_key
        full = {"alg": key.alg, "typ": "at+jwt", "kid": key.kid, **(header or {})}
        return sign_jwt(claims, full, key)

    def token(self, sub: str = "alice", **claims: Any) -> str:
        """A valid token: ``sign(claims(sub, **claims))``."""
        return self.sign(self.claims(sub, **claims))

    # --- HTTP -----------------------------------------------------------------------------

    def publish(self, path: str, body: bytes | Mapping[str, Any], content_type: str = "") -> str:
        """Serve an extra document (e.g. an attacker's JWKS or certificate); returns its URL."""
        if isinstance(body, bytes):
            self._documents[path] = (body, content_type or "application/octet-stream")
        else:
            self._documents[path] = (json.dumps(body).encode(), content_type or "application/json")
        return self.base_url + path

    def fetch_count(self, path: str = JWKS_PATH) -> int:
        """How often ``path`` (relative to the issuer, or an absolute URL) was requested."""
        if path.startswith("http"):
            path = path.removeprefix(self.base_url)
        elif path in (DISCOVERY_PATH, JWKS_PATH):
            path = self.path + path
        with self._lock:
            return self._fetches[path]

    def _document(self, path: str) -> tuple[bytes, str] | None:
        if path == self.path + DISCOVERY_PATH:
            metadata = {
                "issuer": self.issuer,
                "jwks_uri": self.jwks_uri,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": sorted({str(k.alg) for k in self.keys}),
            }
            return json.dumps(metadata).encode(), "application/json"
        if path == self.path + JWKS_PATH:
            return json.dumps(self.public_jwks()).encode(), "application/jwk-set+json"
        return self._documents.get(path)

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        with self._lock:
            self._fetches[path] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        found = self._document(path)
        status, (body, content_type) = 200, found or (b"not found", "text/plain")
        if self.status is not None:
            status, body, content_type = self.status, b"issuer outage (test)", "text/plain"
        elif found is None:
            status = 404
        headers = [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def start(self) -> None:
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"LocalIssuer:{self.path}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("LocalIssuer did not start")
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._server, self._thread = server, thread

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        self._server = self._thread = None

    @contextmanager
    def offline(self) -> Iterator[None]:
        """The port is closed (connection refused) inside the block; same URL again after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
