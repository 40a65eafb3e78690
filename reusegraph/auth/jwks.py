"""Signing keys per issuer, found through discovery, cached, refetched when they rotate.

Keys come only from the configured issuer's ``jwks_uri`` (never from token headers). An
unknown ``kid`` triggers at most one refetch per minute per issuer, so forged tokens with
random key ids cannot make us hammer an IdP. When the IdP is down, keys fetched earlier
keep working; with none at hand the request fails fast with 503, never accepting a token.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from reusegraph.auth.errors import IdentityProviderUnavailable
from reusegraph.auth.issuers import IssuerConfig

log = logging.getLogger("reusegraph.auth")

MAX_DOCUMENT_BYTES = 512 * 1024


@dataclass
class _Entry:
    keys: KeySet
    fetched_at: float
    forced_at: float = float("-inf")


class KeyCache:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        ttl_seconds: float = 3600,
        refetch_interval_seconds: float = 60,
        deadline_seconds: float = 5,
    ) -> None:
        self._client = client
        self._deadline = deadline_seconds
        self._ttl = ttl_seconds
        self._interval = refetch_interval_seconds
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._static: dict[str, tuple[Mapping[str, Any], KeySet]] = {}

    async def keys(self, config: IssuerConfig) -> KeySet:
        if config.jwks is not None:
            static = self._static.get(config.issuer)
            if static is None or static[0] is not config.jwks:
                static = (config.jwks, _import(dict(config.jwks), config))
                self._static[config.issuer] = static
            return static[1]
        entry = self._entries.get(config.issuer)
        if entry is not None and time.monotonic() - entry.fetched_at < self._ttl:
            return entry.keys
        async with self._lock(config):
            entry = self._entries.get(config.issuer)
            if entry is not None and time.monotonic() - entry.fetched_at < self._ttl:
                return entry.keys
            try:
                return await self._fetch(config)
            except IdentityProviderUnavailable:
                if entry is None:
                    raise
                log.warning("keeping cached keys of %s: refresh failed", config.issuer)
                entry.fetched_at = time.monotonic() - self._ttl + self._interval
                return entry.keys

    async def refetch(self, config: IssuerConfig) -> KeySet | None:
        """A token named a key we do not have: fetch again, unless we did so recently."""
        if config.jwks is not None:
            return None
        async with self._lock(config):
            entry = self._entries.get(config.issuer)
            now = time.monotonic()
            if entry is not None and now - entry.forced_at < self._interval:
                return None
            keys = await self._fetch(config)
            self._entries[config.issuer].forced_at = now
            return keys

    def forget(self, issuer: str) -> None:
        self._entries.pop(issuer, None)

    def _lock(self, config: IssuerConfig) -> asyncio.Lock:
        return self._locks.setdefault(config.issuer, asyncio.Lock())

    async def _fetch(self, config: IssuerConfig) -> KeySet:
        try:
            async with asyncio.timeout(self._deadline):
                return await self._fetch_now(config)
        except TimeoutError:
            log.warning("fetching the keys of %s took too long", config.issuer)
            raise IdentityProviderUnavailable(
                f"The identity provider {config.issuer} did not answer in time; try again shortly."
            ) from None

    async def _fetch_now(self, config: IssuerConfig) -> KeySet:
        metadata = await self._get_json(config.discovery, config)
        if metadata.get("issuer") != config.issuer:
            raise IdentityProviderUnavailable(
                f"The discovery document of {config.issuer} names another issuer."
            )
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise IdentityProviderUnavailable(f"The issuer {config.issuer} publishes no jwks_uri.")
        keys = _import(await self._get_json(jwks_uri, config), config)
        self._entries[config.issuer] = _Entry(keys, time.monotonic())
        return keys

    async def _get_json(self, url: str, config: IssuerConfig) -> dict[str, Any]:
        unavailable = IdentityProviderUnavailable(
            f"The identity provider {config.issuer} did not answer; try again shortly."
        )
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    log.warning("GET %s answered %s", url, response.status_code)
                    raise unavailable
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise unavailable
        except httpx.HTTPError as error:
            log.warning("GET %s failed: %s", url, type(error).__name__)
            raise unavailable from None
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise unavailable from None
        if not isinstance(document, dict):
            raise unavailable
        return document


def _import(document: dict[str, Any], config: IssuerConfig) -> KeySet:
    """Signature keys only; a key we cannot use is skipped rather than failing them all."""
    usable = []
    for key in document.get("keys", []):
        if not isinstance(key, dict) or key.get("use", "sig") != "sig":
            continue
        if any(name in key for name in ("d", "p", "q", "k")):
            continue  # never trust a private or symmetric key from an IdP document
        try:
            KeySet.import_key_set({"keys": [key]})
        except (JoseError, ValueError, TypeError):
            log.warning("skipping a key of %s that cannot be imported", config.issuer)
            continue
        usable.append(key)
    if not usable:
        raise IdentityProviderUnavailable(f"The issuer {config.issuer} publishes no signing keys.")
    return KeySet.import_key_set({"keys": usable})
