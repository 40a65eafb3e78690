"""The caller, as transaction-local settings that the row-level security policies read.

Every request's transaction switches to the ``reusegraph_api`` role (which cannot bypass
RLS, even when the server connects as the tables' owner or a superuser) and records who
is asking. ``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction, so
nothing leaks to the next user of a pooled connection.

The system (sync, imports, demo load, CLI) is not a setting but a role,
``reusegraph_system``: the policies let a transaction through when its role is a member
of it (migration 0016), and ``reusegraph_api`` is not, so no setting a request's
statements could make turns a request into the system.
"""

from typing import Any

from sqlalchemy import TextClause, text

from reusegraph.auth.principal import Principal, Role

API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"

_SETTINGS = text(
    "SELECT set_config('statement_timeout', :timeout, true),"
    " set_config('role', :role, true),"
    " set_config('reusegraph.member_of', :member_of, true),"
    " set_config('reusegraph.editor_of', :editor_of, true),"
    " set_config('reusegraph.subject', :subject, true),"
    " set_config('reusegraph.issuer', :issuer, true),"
    " set_config('reusegraph.admin', :admin, true)"
)
_READ_ONLY = text(_SETTINGS.text + ", set_config('transaction_read_only', 'on', true)")


def transaction_settings(
    viewer: Principal | None, timeout_ms: int, *, read_only: bool
) -> tuple[TextClause, dict[str, Any]]:
    """``viewer=None`` is the system itself (demo load, sync): it sees and writes everything."""
    member_of = editor_of = subject = issuer = ""
    if viewer is not None and viewer.municipality is not None:
        if viewer.is_member_of(viewer.municipality):
            member_of = viewer.municipality
        if viewer.roles & {Role.EDITOR, Role.ADMIN}:
            editor_of = viewer.municipality
    if viewer is not None and viewer.subject is not None:
        subject = viewer.subject
    if viewer is not None and viewer.issuer is not None:
        issuer = viewer.issuer
    params = {
        "timeout": str(timeout_ms),
        "role": SYSTEM_ROLE if viewer is None else API_ROLE,
        "member_of": member_of,
        "editor_of": editor_of,
        "subject": subject,
        "issuer": issuer,
        "admin": "on" if viewer is not None and Role.ADMIN in viewer.roles else "",
    }
    return (_READ_ONLY if read_only else _SETTINGS), params


def settings_sql(viewer: Principal | None, timeout_ms: int, *, read_only: bool) -> str:
    """The same settings as one SQL text with literal values, to send in one
    simple-protocol message (one round trip).

    Safe only with ``standard_conforming_strings`` on; the values are a token's validated
    subject and municipality code.
    """
    statement, params = transaction_settings(viewer, timeout_ms, read_only=read_only)
    return _with_literals(statement.text, params)


def _with_literals(template: str, params: dict[str, Any]) -> str:
    for name, value in params.items():
        template = template.replace(f":{name},", f"{_literal(str(value))},")
    return template


def session_settings_sql(viewer: Principal, timeout_ms: int) -> str:
    """The viewer's settings for the rest of the session, not the transaction: for the
    compiled read path, whose answer is one statement in its own implicit transaction.

    Every setting is written each time, so whatever the connection's previous user set
    is replaced before the next statement runs. Read-only comes from the connection's
    ``default_transaction_read_only``, not from here.
    """
    statement, params = transaction_settings(viewer, timeout_ms, read_only=False)
    return _with_literals(statement.text.replace(", true)", ", false)"), params)


def _literal(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a setting cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"
