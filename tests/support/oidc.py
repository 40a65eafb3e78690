"""A real, certified OpenID Provider (npm oidc-provider) as a loopback peer of the test suite.

It runs tests/node/issuer.mjs with the Node.js from PyPI (never the machine's node). Keys are
made here, in Python, and handed to the provider: rotation keeps old keys published, and a test
can sign a token the provider never issued with the provider's own key (``sign``), which is how
claim-level forgeries (expired, wrong ``aud``...) are built against a real issuer.

The provider logs one line per HTTP request; ``requests`` returns them once everything the
provider answered so far is in, so a test can count discovery and JWKS fetches exactly.
"""

import atexit
import base64
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from joserfc.jwk import KeySetSerialization

from tests.support.issuer import SigningKey, new_signing_key, sign_jwt
from tests.support.node import NODE, PEERS

START_TIMEOUT = 30.0
GRAPHIQL_CLIENT = "graphiql"


@dataclass(frozen=True)
class Client:
    """A client-credentials client; ``claims`` end up in every access token it gets."""

    client_id: str
    client_secret: str
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int


class OpenIDProvider:
    """oidc-provider on ``http://127.0.0.1:<port>``; use as a context manager.

    Access tokens are RFC 9068 JWTs (``typ: at+jwt``) for ``audience``, signed with ``alg``.
    The public client ``graphiql`` (authorization code + PKCE) accepts ``redirect_uris``; its
    login page takes any name and password, and ``users`` maps a name to extra token claims.
    """

    def __init__(
        self,
        clients: Sequence[Client] = (),
        *,
        alg: str = "RS256",
        kid: str = "op-key-1",
        audience: str = "urn:reusegraph",
        users: Mapping[str, Mapping[str, Any]] | None = None,
        redirect_uris: Sequence[str] = ("http://127.0.0.1/auth/callback",),
    ) -> None:
        self.clients = list(clients)
        self.audience = audience
        self.users = dict(users or {})
        self.redirect_uris = list(redirect_uris)
        self.keys: list[SigningKey] = [new_signing_key(alg, kid)]
        self.port = 0
        self.issuer = ""
        self._log: list[Request] = []
        self._stderr: list[str] = []
        self._seen = threading.Condition()
        self._ready: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[0]

    @property
    def kid(self) -> str:
        return str(self.signing_key.kid)

    @property
    def jwks_uri(self) -> str:
        return self.issuer + "/jwks"

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    # --- tokens ---------------------------------------------------------------------------

    def token(self, client_id: str, secret: str, scope: str = "graphql:read") -> str:
        """A client-credentials access token from the real token endpoint.

        Blocking, but safe in async tests: the provider is another process.
        """
        response = httpx.post(
            self.issuer + "/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials", "scope": scope},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def browser_token(
        self, login: str, scope: str = "openid graphql:read", redirect_uri: str | None = None
    ) -> str:
        """An access token for ``login`` via authorization code + PKCE, as a browser gets one."""
        redirect_uri = redirect_uri or self.redirect_uris[0]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "client_id": GRAPHIQL_CLIENT,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": secrets.token_urlsafe(16),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        with httpx.Client(timeout=30) as browser:
            back = self.sign_in(browser, f"{self.issuer}/auth?{urlencode(query)}", login)
            code = parse_qs(urlsplit(back).query)["code"][0]
            response = browser.post(
                self.issuer + "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "client_id": GRAPHIQL_CLIENT,
                    "code_verifier": verifier,
                },
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def sign_in(self, browser: httpx.Client, url: str, login: str) -> str:
        """Play the user at the provider's login and consent pages, starting from ``url``.

        Follows redirects while they stay at the provider and answers each interaction form
        (with its hidden ``prompt``, without which the provider answers 501). Returns the first
        URL that leads back out of the provider: the relying party's callback with ``code``.
        """
        response = browser.get(url)
        for _ in range(20):
            if response.is_redirect:
                url = urljoin(str(response.url), response.headers["location"])
                if not url.startswith(self.issuer + "/"):
                    return url
                response = browser.get(url)
                continue
            page = response.text
            action = re.search(r'<form[^>]*action="([^"]+)"', page)
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            if response.status_code != 200 or not action or not prompt:
                raise AssertionError(f"unexpected page at {response.url}: {page[:500]}")
            form = {"prompt": prompt.group(1)}
            if form["prompt"] == "login":
                form |= {"login": login, "password": "any"}
            target = urljoin(str(response.url), html.unescape(action.group(1)))
            response = browser.post(target, data=form)
        raise AssertionError("sign-in did not come back from the provider")

    def sign(
        self,
        claims: Mapping[str, Any],
        header: Mapping[str, Any] | None = None,
        key: SigningKey | None = None,
    ) -> str:
        """A token signed with the provider's key that the provider itself never issued."""
        key = key or self.signing_key
        return sign_jwt(
            claims, {"alg": key.alg, "typ": "at+jwt", "kid": key.kid, **(header or {})}, key
        )

    def public_jwks(self) -> KeySetSerialization:
        return {"keys": [key.as_dict(private=False) for key in self.keys]}

    # --- request log ----------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """Every request answered so far (across restarts), in order."""
        mark = f"/__mark/{uuid.uuid4().hex}"
        httpx.get(self.issuer + mark, timeout=30)
        with self._seen:
            if not self._seen.wait_for(lambda: any(r.path == mark for r in self._log), 30):
                raise AssertionError("the provider's request log stopped")
            return [r for r in self._log if not r.path.startswith("/__mark/")]

    def fetch_count(self, path: str = "/jwks") -> int:
        return sum(1 for r in self.requests if r.path == path)

    # --- process --------------------------------------------------------------------------

    def rotate(self, new_kid: str, *, keep_previous: bool = True) -> SigningKey:
        """Restart on the same port signing with a new key; the old ones stay published
        unless ``keep_previous`` is false. Returns once the provider is ready again."""
        key = new_signing_key(str(self.signing_key.alg), new_kid)
        self.keys = [key, *self.keys] if keep_previous else [key]
        self.stop()
        self.start()
        return key

    def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "PORT": str(self.port),
            "AUDIENCE": self.audience,
            "ALG": str(self.signing_key.alg),
            "SIGNING_KEY": json.dumps(self.signing_key.as_dict(private=True)),
            "PREVIOUS_KEYS": json.dumps([k.as_dict(private=True) for k in self.keys[1:]]),
            "CLIENTS": json.dumps(
                [
                    {"client_id": c.client_id, "client_secret": c.client_secret, "claims": c.claims}
                    for c in self.clients
                ]
            ),
            "USERS": json.dumps(self.users),
            "REDIRECT_URIS": json.dumps(self.redirect_uris),
        }
        if self.issuer:
            env["ISSUER"] = self.issuer
        self._ready = None
        process = subprocess.Popen(
            [str(NODE), "issuer.mjs"],
            cwd=PEERS,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._process = process
        atexit.register(self.stop)
        assert process.stdout is not None
        assert process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        with self._seen:
            started = self._seen.wait_for(
                lambda: self._ready is not None or process.poll() is not None, START_TIMEOUT
            )
        if not started or self._ready is None:
            self.stop()
            raise RuntimeError("oidc-provider did not start:\n" + "".join(self._stderr[-40:]))
        self.issuer = self._ready
        self.port = urlsplit(self.issuer).port or 0

    def _read_stdout(self, stream: IO[str]) -> None:
        for line in stream:
            word, _, rest = line.strip().partition(" ")
            with self._seen:
                if word == "ready":
                    self._ready = rest
                elif word == "request":
                    method, path, status = rest.split(" ")
                    self._log.append(Request(method, path, int(status)))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def _read_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line)

    def stop(self) -> None:
        """Stop the node process and wait for it; safe to call twice."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.terminate()
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

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
