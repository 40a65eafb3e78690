"""GraphiQL login: authorization code + PKCE with authlib's Starlette client, per issuer.

The browser keeps only a signed session cookie holding a random session id; the access
token stays in this process (``BrowserSessions``), so page scripts never see it and the
cookie carries no secret. Each issuer has its own callback URL, which defends against
mix-up between IdPs (authlib does not check RFC 9207's ``iss`` parameter). The token is
validated like any bearer token on every request, so an expired login simply ends.
"""

import hashlib
import logging
import secrets
import warnings
from datetime import timedelta

from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns when it falls back to httpx, which
    # works the same for this client; one HTTP stack in the project is worth more.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reusegraph.auth.issuers import IssuerConfig
from reusegraph.auth.registry import IssuerRegistry
from reusegraph.store import browser_sessions
from reusegraph.store.engine import Database

log = logging.getLogger("reusegraph.login")

SESSION_KEY = "sid"


class BrowserSessions:
    """Access tokens of logged-in browsers, sealed (JWE, A256GCM) with the session secret.

    Stored in the database, so every worker and replica sharing REUSEGRAPH_SESSION_SECRET
    sees the same logins; the browser holds only a random session id.
    """

    def __init__(self, db: Database, secret: str) -> None:
        self._db = db
        self._key = OctKey.import_key(
            hashlib.sha256(b"browser-session:" + secret.encode()).digest()
        )

    async def start(self, token: str, issuer: str, expires_in: float) -> str:
        session_id = secrets.token_urlsafe(32)
        sealed = jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, token.encode(), self._key)
        await browser_sessions.save(
            self._db, session_id, issuer, sealed, timedelta(seconds=expires_in)
        )
        return session_id

    async def token(self, connection: HTTPConnection) -> str | None:
        if "session" not in connection.scope:
            return None
        session_id = connection.session.get(SESSION_KEY)
        if not isinstance(session_id, str):
            return None
        sealed = await browser_sessions.sealed_token(self._db, session_id)
        if sealed is None:
            return None
        try:
            return jwe.decrypt_compact(sealed, self._key).plaintext.decode()  # type: ignore[union-attr]
        except JoseError:
            return None  # sealed under another secret: log in again

    async def end(self, session_id: str) -> None:
        await browser_sessions.remove(self._db, session_id)


class LoginRoutes:
    def __init__(
        self, issuers: IssuerRegistry, sessions: BrowserSessions, public_url: str | None
    ) -> None:
        self._issuers = issuers
        self._sessions = sessions
        self._public_url = public_url.rstrip("/") if public_url else None
        self._oauth = OAuth()

    @property
    def routes(self) -> list[Route]:
        return [
            Route("/auth/providers", self.providers),
            Route("/auth/login/{name}", self.login),
            Route("/auth/callback/{name}", self.callback),
            # POST only: a link or an image elsewhere must not log anyone out.
            Route("/auth/logout", self.logout, methods=["POST"]),
        ]

    async def providers(self, request: Request) -> JSONResponse:
        """What GraphiQL offers: issuers with a login client, and whether this browser is in."""
        configs = await self._issuers.all()
        names = [c.name for c in configs if c.login_client_id]
        logged_in = await self._sessions.token(request) is not None
        return JSONResponse({"providers": names, "loggedIn": logged_in})

    async def login(self, request: Request) -> Response:
        config = self._config(request)
        if config is None:
            return JSONResponse({"error": "No such login provider."}, status_code=404)
        client = self._client(config)
        return await client.authorize_redirect(request, self._callback_url(request, config))  # type: ignore[no-any-return]

    async def callback(self, request: Request) -> Response:
        config = self._config(request)
        if config is None:
            return JSONResponse({"error": "No such login provider."}, status_code=404)
        try:
            token = await self._client(config).authorize_access_token(request)
        except OAuthError as error:
            log.warning("login at %s failed: %s", config.name, error.error)
            return JSONResponse(
                {"error": f"The login at {config.name} did not complete ({error.error})."},
                status_code=400,
            )
        access_token = token.get("access_token")
        if not isinstance(access_token, str):
            return JSONResponse({"error": "The identity provider sent no access token."}, 400)
        expires_in = float(token.get("expires_in") or 300)
        request.session[SESSION_KEY] = await self._sessions.start(
            access_token, config.issuer, expires_in
        )
        return RedirectResponse("/graphql", status_code=303)

    async def logout(self, request: Request) -> Response:
        await self._sessions.end(str(request.session.pop(SESSION_KEY, "")))
        return RedirectResponse("/graphql", status_code=303)

    def _config(self, request: Request) -> IssuerConfig | None:
        config = self._issuers.by_name(request.path_params["name"])
        return config if config is not None and config.login_client_id else None

    def _client(self, config: IssuerConfig):  # type: ignore[no-untyped-def]
        client = self._oauth.create_client(config.name)
        if client is None:
            client = self._oauth.register(
                config.name,
                client_id=config.login_client_id,
                server_metadata_url=config.discovery,
                client_kwargs={
                    "scope": config.login_scope,
                    "code_challenge_method": "S256",
                    "token_endpoint_auth_method": "none",
                },
                authorize_params={"resource": config.audience},
                access_token_params={"resource": config.audience},
            )
        return client

    def _callback_url(self, request: Request, config: IssuerConfig) -> str:
        if self._public_url:
            return f"{self._public_url}/auth/callback/{config.name}"
        return str(request.url_for("callback", name=config.name))
