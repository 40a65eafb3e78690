"""All configuration, from environment variables (12-factor), read once into one object.

Each field's docstring is the README's configuration table; a test keeps them in step.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from reusegraph.auth.callers import parse_proxies


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    """DATABASE_URL: PostgreSQL 14+ to use. Unset: an embedded PostgreSQL in REUSEGRAPH_DATA_DIR."""
    api_database_url: str | None = None
    """REUSEGRAPH_API_DATABASE_URL: the login request connections use, one that cannot become
    the system role. Unset: reusegraph_api_login on DATABASE_URL's server, password derived."""
    data_dir: Path = Path(".reusegraph")
    """REUSEGRAPH_DATA_DIR: where the embedded PostgreSQL keeps its data."""
    embedded: bool | None = None
    """REUSEGRAPH_EMBEDDED: without DATABASE_URL, start an embedded PostgreSQL (default: on,
    off in production mode; the container image sets it off)."""
    host: str = "127.0.0.1"
    """REUSEGRAPH_HOST: address to listen on."""
    port: int = 8000
    """REUSEGRAPH_PORT: port to listen on."""
    workers: int = 1
    """REUSEGRAPH_WORKERS: server processes (set to the number of cores in production)."""
    shutdown_drain_seconds: int = 5
    """REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS: after SIGTERM, how long `/readyz` answers 503 while
    the server still serves, so load balancers stop sending before it stops listening."""
    shutdown_timeout_seconds: int = 20
    """REUSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS: then, how long requests in flight may take to
    finish before they are cancelled."""
    demo_data: bool | None = None
    """REUSEGRAPH_DEMO_DATA: load the demo data into an empty database (default: only embedded)."""
    pool_size: int = 10
    """REUSEGRAPH_DB_POOL_SIZE: database connections per worker."""
    statement_timeout_ms: int = 15000
    """REUSEGRAPH_STATEMENT_TIMEOUT_MS: longest SQL statement allowed."""
    max_body_bytes: int = 1_000_000
    """REUSEGRAPH_MAX_BODY_BYTES: largest request body accepted."""
    max_header_bytes: int = 65536
    """REUSEGRAPH_MAX_HEADER_BYTES: largest request line plus headers accepted (431 above)."""
    max_import_bytes: int = 20_000_000
    """REUSEGRAPH_MAX_IMPORT_BYTES: largest file upload `POST /import` accepts."""
    max_depth: int = 12
    """REUSEGRAPH_MAX_DEPTH: deepest query accepted."""
    max_aliases: int = 30
    """REUSEGRAPH_MAX_ALIASES: most aliases in one query."""
    max_cost: int = 50000
    """REUSEGRAPH_MAX_COST: most points one operation may cost (see Limits; 0: no limit)."""
    request_timeout_ms: int = 30000
    """REUSEGRAPH_REQUEST_TIMEOUT_MS: longest a GraphQL request may take in all (0: no limit)."""
    rate_limit: int = 500000
    """REUSEGRAPH_RATE_LIMIT: points each caller may spend per window, in PostgreSQL or Redis
    (0: off)."""
    rate_limit_window_seconds: int = 60
    """REUSEGRAPH_RATE_LIMIT_WINDOW_SECONDS: the window in which a spent budget refills."""
    redis_url: str | None = None
    """REDIS_URL: keep the per-caller budgets in this Redis instead of PostgreSQL."""
    redis_key_prefix: str = "reusegraph:"
    """REUSEGRAPH_REDIS_KEY_PREFIX: the prefix of the budget keys in Redis (one per deployment)."""
    trusted_proxies: str | None = None
    """REUSEGRAPH_TRUSTED_PROXIES: proxy addresses or networks whose X-Forwarded-For is trusted."""
    compiled_reads: bool = True
    """REUSEGRAPH_COMPILED_READS: answer the queries the compiler covers with one SQL statement."""
    graphiql: bool | None = None
    """REUSEGRAPH_GRAPHIQL: serve GraphiQL to browsers on GET /graphql (default: on, off in
    production mode)."""
    log_level: str = "info"
    """REUSEGRAPH_LOG_LEVEL: debug, info, warning or error."""
    issuers: str | None = None
    """REUSEGRAPH_ISSUERS: trusted token issuers, as JSON (a list) or the path of a JSON file."""
    require_token: bool = False
    """REUSEGRAPH_REQUIRE_TOKEN: refuse requests without a token (default: anonymous, public)."""
    jwks_timeout_ms: int = 3000
    """REUSEGRAPH_JWKS_TIMEOUT_MS: longest wait for an issuer's discovery or JWKS document."""
    public_url: str | None = None
    """REUSEGRAPH_PUBLIC_URL: the address browsers use (login callbacks); default: the request's."""
    session_secret: str | None = None
    """REUSEGRAPH_SESSION_SECRET: signs GraphiQL login cookies; set it for several workers."""
    production: bool = False
    """REUSEGRAPH_PRODUCTION: refuse development conveniences (dev mode, demo data), switch
    off introspection and suggestions, and keep the schema out of validation messages."""
    trusted_documents: Path | None = None
    """REUSEGRAPH_TRUSTED_DOCUMENTS: run only trusted documents: those of this JSON file (hash to
    document) and those admins registered; `registered`: only those admins registered."""
    dev_mode: bool = False
    """REUSEGRAPH_DEV_MODE: trust the local issuer of `reusegraph dev-token`; never production."""
    sync_check_seconds: int = 60
    """REUSEGRAPH_SYNC_CHECK_SECONDS: how often to sync the sources due by schedule (0: off)."""
    slow_request_ms: int = 1000
    """REUSEGRAPH_SLOW_REQUEST_MS: requests slower than this log their SQL statement count."""
    log_variables: bool = False
    """REUSEGRAPH_LOG_VARIABLES: put a request's variable values in its log line (debugging)."""
    metrics_token: str | None = None
    """REUSEGRAPH_METRICS_TOKEN: if set, `/metrics` needs `Authorization: Bearer <it>`."""
    webhook_worker: bool = True
    """REUSEGRAPH_WEBHOOK_WORKER: this server process delivers webhooks (replicas share them)."""
    webhook_allowed_hosts: str | None = None
    """REUSEGRAPH_WEBHOOK_ALLOWED_HOSTS: host patterns webhooks may point to (`*.kommune.dk`,
    comma-separated); unset: any host with public addresses."""
    webhook_allow_private: bool = False
    """REUSEGRAPH_WEBHOOK_ALLOW_PRIVATE: let webhooks point to loopback and private addresses
    (tests, closed networks); never on a server open to the internet."""
    webhook_retry_seconds: int = 86400
    """REUSEGRAPH_WEBHOOK_RETRY_SECONDS: how long a failing delivery is retried before it fails."""
    webhook_backoff_ms: int = 1000
    """REUSEGRAPH_WEBHOOK_BACKOFF_MS: the first retry's delay; each next one doubles (jitter)."""
    webhook_timeout_ms: int = 10000
    """REUSEGRAPH_WEBHOOK_TIMEOUT_MS: longest wait for a receiver's answer."""
    webhook_poll_ms: int = 1000
    """REUSEGRAPH_WEBHOOK_POLL_MS: how often an idle worker looks for new events."""
    webhook_scan_ms: int = 60000
    """REUSEGRAPH_WEBHOOK_SCAN_MS: how often one replica looks for agreements expiring and
    sources gone stale (the AGREEMENT_EXPIRING and SOURCE_STALE events; 0: never). Processes
    without the delivery worker do not scan."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = variable_name(f.name)
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(name, raw, f.default)
        settings = cls(**values)
        if settings.production and settings.dev_mode:
            raise SettingsError(
                "REUSEGRAPH_DEV_MODE cannot be on together with REUSEGRAPH_PRODUCTION: "
                "the development issuer signs any identity"
            )
        if settings.production and settings.demo_data:
            raise SettingsError(
                "REUSEGRAPH_DEMO_DATA cannot be on together with REUSEGRAPH_PRODUCTION"
            )
        if settings.rate_limit and not settings.rate_limit_window_seconds:
            raise SettingsError("REUSEGRAPH_RATE_LIMIT_WINDOW_SECONDS must be at least 1")
        try:
            parse_proxies(settings.trusted_proxies)
        except ValueError as error:
            raise SettingsError(
                f"REUSEGRAPH_TRUSTED_PROXIES has value {settings.trusted_proxies!r}: {error};"
                " give addresses or networks, comma-separated (10.0.0.0/8, 192.0.2.7)"
            ) from None
        if settings.log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError(
                f"REUSEGRAPH_LOG_LEVEL has value {settings.log_level!r}; "
                "allowed: debug, info, warning, error"
            )
        if settings.max_header_bytes < 8192:
            raise SettingsError(
                f"REUSEGRAPH_MAX_HEADER_BYTES has value {settings.max_header_bytes}; it must be"
                " at least 8192 (a bearer token alone may take 16 KB)"
            )
        return settings

    @property
    def embedded_on(self) -> bool:
        return self.embedded if self.embedded is not None else not self.production

    @property
    def graphiql_on(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.production


def variable_name(field_name: str) -> str:
    if field_name == "database_url":
        return "DATABASE_URL"
    if field_name == "redis_url":
        return "REDIS_URL"
    if field_name == "pool_size":
        return "REUSEGRAPH_DB_POOL_SIZE"
    return f"REUSEGRAPH_{field_name.upper()}"


_OPTIONAL_BOOLEANS = frozenset(
    {"REUSEGRAPH_DEMO_DATA", "REUSEGRAPH_GRAPHIQL", "REUSEGRAPH_EMBEDDED"}
)
_PATHS = frozenset({"REUSEGRAPH_TRUSTED_DOCUMENTS"})


def _parse(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool) or name in _OPTIONAL_BOOLEANS:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{name} has value {raw!r}; allowed: true or false")
    if isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} has value {raw!r}; it must be a whole number") from None
        if value < 0:
            raise SettingsError(f"{name} has value {raw!r}; it must not be negative")
        return value
    if isinstance(default, Path) or name in _PATHS:
        return Path(raw)
    return raw
