"""The secret a source needs, read where its registration says (never stored by us).

``secret_ref`` is ``env:NAME`` or ``file:/path``; the value is read at the start of each
run, so rotating a secret needs no restart, and it never reaches a log or an answer.
OAuth2 client credentials are exchanged at the remote issuer's token endpoint and the
access token is kept for one run only.
"""

import os
import time
from pathlib import Path
from typing import Any

import httpx

from reusegraph.federation.errors import (
    RemoteAuthError,
    RemoteFormatError,
    RemoteHttpError,
    RemoteTimeout,
    RemoteUnreachable,
    SourceMisconfigured,
)
from reusegraph.store.models.sources import SourceAuth

EXPIRY_MARGIN_SECONDS = 30


def read_secret(secret_ref: str | None, source_code: str) -> str:
    if secret_ref is None:
        raise SourceMisconfigured(f"source {source_code} has no secretRef for its credentials")
    kind, _, where = secret_ref.partition(":")
    if kind == "env":
        value = os.environ.get(where, "").strip()
        if not value:
            raise SourceMisconfigured(
                f"source {source_code}: the environment variable {where} (its secretRef) is"
                " not set on this server"
            )
        return value
    if kind == "file":
        try:
            value = Path(where).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SourceMisconfigured(
                f"source {source_code}: cannot read its secret file {where} ({error.strerror})"
            ) from None
        if not value:
            raise SourceMisconfigured(f"source {source_code}: its secret file {where} is empty")
        return value
    raise SourceMisconfigured(f"source {source_code}: secretRef must start with env: or file:")


class Credentials:
    """Authorization headers for one run against one source."""

    def __init__(self, source: Any, client: httpx.AsyncClient) -> None:
        self._source = source
        self._client = client
        self._token: str | None = None
        self._expires = 0.0

    async def headers(self) -> dict[str, str]:
        auth = self._source.auth
        if auth == SourceAuth.NONE:
            return {}
        if auth == SourceAuth.BEARER:
            return {"Authorization": f"Bearer {read_secret(self._source.secret_ref, self.code)}"}
        if auth == SourceAuth.OAUTH2:
            if self._token is None or time.monotonic() >= self._expires:
                await self._fetch_token()
            return {"Authorization": f"Bearer {self._token}"}
        raise SourceMisconfigured(f"source {self.code}: auth {auth} is not for a GraphQL source")

    def refused(self) -> bool:
        """The remote said 401: forget an OAuth2 token, so one retry fetches a new one."""
        had_token = self._token is not None
        self._token = None
        return had_token

    @property
    def code(self) -> str:
        return str(self._source.code)

    async def _fetch_token(self) -> None:
        source = self._source
        secret = read_secret(source.secret_ref, self.code)
        data = {"grant_type": "client_credentials"}
        if source.scope:
            data["scope"] = source.scope
        try:
            response = await self._client.post(
                source.token_url,
                data=data,
                auth=(source.client_id, secret),
                timeout=source.timeout_seconds,
            )
        except httpx.TimeoutException:
            raise RemoteTimeout(f"the token endpoint {source.token_url} did not answer") from None
        except httpx.TransportError as error:
            raise RemoteUnreachable(
                f"cannot reach the token endpoint {source.token_url}: {error}"
            ) from None
        if response.status_code in (400, 401, 403):
            raise RemoteAuthError(
                f"the token endpoint {source.token_url} refused client {source.client_id}"
                f" ({response.status_code}); check the client id and its secret",
                response.status_code,
            )
        if response.is_error:
            raise RemoteHttpError(
                f"the token endpoint {source.token_url} answered {response.status_code}",
                response.status_code,
            )
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise RemoteFormatError(
                f"the token endpoint {source.token_url} did not return an access_token"
            ) from None
        if not isinstance(token, str) or not token:
            raise RemoteFormatError(f"the token endpoint {source.token_url} sent an empty token")
        self._token = token
        self._expires = time.monotonic() + max(0.0, lifetime - EXPIRY_MARGIN_SECONDS)
