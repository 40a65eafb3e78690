"""The login of request connections: one that can become ``reusegraph_api`` and nothing more.

System work (sync, migrations, rollups, demo load) needs a login that may ``SET ROLE
reusegraph_system``: the one of ``DATABASE_URL``, which owns the tables. A request must
not be able to, whatever its statements do, so request connections log in as another
role, ``reusegraph_api_login`` (migration 0018), the way PostgREST's ``authenticator``
does: NOINHERIT, a member of ``reusegraph_api`` only.

Two ways to configure it, as for any managed PostgreSQL:

- ``REUSEGRAPH_API_DATABASE_URL`` names the request login and its password (set by the
  operator, kept in their secret store, rotated by them). Any login will do that is not a
  member of the system role and may ``SET ROLE reusegraph_api``; the server checks that
  before it serves.
- Unset (the default): the same server and database as ``DATABASE_URL``, user
  ``reusegraph_api_login``, and a password derived from the owner's (an HMAC, so it does
  not reveal the owner's). Every replica and worker derives the same one, so each may set
  it, and does when the login is refused; it is sent as a SCRAM verifier, so the password
  itself reaches no server log. Without a password in ``DATABASE_URL`` (trust, peer or
  certificate authentication, the embedded server) the login gets none either.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from reusegraph.store.urls import async_url, asyncpg_dsn

LOGIN = "reusegraph_api_login"
API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"

_ITERATIONS = 4096
"""PostgreSQL's default ``scram_iterations``."""


class RequestLoginError(RuntimeError):
    """The request login cannot be used, or could become the system: the server stops."""


@dataclass(frozen=True)
class RequestLogin:
    url: URL
    derived: bool
    """True when the server chose the login (and may set its password)."""


def request_login(system_url: str | URL, api_url: str | None) -> RequestLogin:
    if api_url:
        return RequestLogin(async_url(api_url), derived=False)
    system = async_url(system_url)
    password = derived_password(system.password) if system.password else None
    return RequestLogin(system.set(username=LOGIN, password=password), derived=True)


def derived_password(owner_password: str) -> str:
    digest = hmac.new(owner_password.encode("utf-8"), LOGIN.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677), as psql's
    ``\\password`` sends it. ``password`` is ASCII here, which SASLprep leaves alone."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(value: bytes) -> str:
        return base64.b64encode(value).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


async def prepare_request_login(login: RequestLogin, system: AsyncEngine) -> None:
    """Logs in as the request login once and checks what it may become; sets the derived
    password first when the server refuses it. Raises ``RequestLoginError``."""
    try:
        await _check(login.url)
        return
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        if not (login.derived and login.url.password):
            raise RequestLoginError(_refused(login)) from None
    await _set_password(system, login.url.password)
    try:
        await _check(login.url)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        raise RequestLoginError(_refused(login)) from None


async def _check(url: URL) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        row = await connection.fetchrow(
            "SELECT session_user AS login,"
            f" pg_has_role(session_user, '{SYSTEM_ROLE}', 'MEMBER') AS system,"
            f" pg_has_role(session_user, '{API_ROLE}', 'MEMBER') AS api,"
            " (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user)"
            " AS unrestricted"
        )
    finally:
        await connection.close()
    assert row is not None
    if row["system"] or row["unrestricted"]:
        raise RequestLoginError(
            f"The request login {row['login']!r} can become {SYSTEM_ROLE} or bypass"
            " row-level security, so one statement of a request could read every row."
            " Give REUSEGRAPH_API_DATABASE_URL a login that is only a member of"
            f" {API_ROLE} (such as {LOGIN}, created by the migrations), or unset it."
        )
    if not row["api"]:
        raise RequestLoginError(
            f"The request login {row['login']!r} is not a member of {API_ROLE};"
            f" run GRANT {API_ROLE} TO {row['login']} as the owner of the database."
        )


async def _set_password(system: AsyncEngine, password: str) -> None:
    verifier = scram_verifier(password)
    try:
        async with system.connect() as connection:
            # The verifier is base64, '$' and ':' only, never a quote: a literal is safe.
            # As driver SQL: the verifier's ':' must not be read as bind parameters.
            await connection.exec_driver_sql(f"ALTER ROLE {LOGIN} PASSWORD '{verifier}'")
            await connection.commit()
    except DBAPIError as error:
        raise RequestLoginError(
            f"Could not set the password of {LOGIN} as the login of DATABASE_URL"
            f" ({error.orig}). Let that login create roles (CREATEROLE), or set the password"
            " yourself and give REUSEGRAPH_API_DATABASE_URL."
        ) from None


def _refused(login: RequestLogin) -> str:
    where = f"{login.url.host or 'localhost'}:{login.url.port or 5432}/{login.url.database}"
    if login.derived:
        return (
            f"PostgreSQL at {where} refused the request login {LOGIN}. The server sets its"
            " password only when DATABASE_URL carries one; with peer or certificate"
            f" authentication, let {LOGIN} log in the same way, or set"
            " REUSEGRAPH_API_DATABASE_URL to a login that can SET ROLE reusegraph_api."
        )
    return (
        f"PostgreSQL at {where} refused the login {login.url.username!r} of"
        " REUSEGRAPH_API_DATABASE_URL; check its user name and password."
    )
