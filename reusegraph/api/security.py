"""Builds the request authenticator from the settings: trusted issuers, key cache, dev mode."""

import json
from pathlib import Path

import httpx

from reusegraph.api.settings import Settings, SettingsError
from reusegraph.auth.authenticator import Authenticator, SessionToken
from reusegraph.auth.dev_issuer import dev_issuer_config, load_or_create_key
from reusegraph.auth.issuers import IssuerConfig, IssuerConfigError, parse_issuer
from reusegraph.auth.jwks import KeyCache
from reusegraph.auth.registry import IssuerRegistry
from reusegraph.auth.tokens import TokenValidator
from reusegraph.store.engine import Database
from reusegraph.store.issuers import load_registered_issuers


def configured_issuers(settings: Settings) -> list[IssuerConfig]:
    configs = []
    raw = (settings.issuers or "").strip()
    if raw:
        text = raw if raw.startswith("[") else _read(Path(raw))
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as error:
            raise SettingsError(f"REUSEGRAPH_ISSUERS is not valid JSON: {error}") from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SettingsError("REUSEGRAPH_ISSUERS must be a JSON list of issuer objects")
        try:
            configs = [parse_issuer(e, f"REUSEGRAPH_ISSUERS[{i}]") for i, e in enumerate(entries)]
        except IssuerConfigError as error:
            raise SettingsError(str(error)) from None
    if settings.dev_mode:
        configs.append(dev_issuer_config(load_or_create_key(settings.data_dir)))
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise SettingsError("REUSEGRAPH_ISSUERS: every issuer needs its own `name`")
    return configs


def build_authenticator(
    settings: Settings,
    db: Database,
    client: httpx.AsyncClient,
    session_token: SessionToken | None = None,
) -> tuple[Authenticator, IssuerRegistry, KeyCache]:
    registry = IssuerRegistry(configured_issuers(settings), lambda: load_registered_issuers(db))
    keys = KeyCache(client, deadline_seconds=2 * settings.jwks_timeout_ms / 1000)
    validator = TokenValidator(registry.lookup, keys)
    authenticator = Authenticator(
        validator, require_token=settings.require_token, session_token=session_token
    )
    return authenticator, registry, keys


def identity_client(settings: Settings) -> httpx.AsyncClient:
    """For discovery and JWKS only: bounded time, no redirects, no cookies."""
    timeout = settings.jwks_timeout_ms / 1000
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=timeout),
        follow_redirects=False,
        headers={"User-Agent": "reusegraph"},
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(
            f"REUSEGRAPH_ISSUERS is neither a JSON list nor a readable file ({error.strerror})"
        ) from None
