"""The caller, as transaction-local settings that the row-level security policies read.

Every request's transaction switches to the ``reusegraph_api`` role (which cannot bypass
RLS, even when the server connects as the tables' owner or a superuser) and records who
is asking. ``set_config(..., true)`` is ``SET LOCAL``: it ends with the transaction, so
nothing leaks to the next user of a pooled connection.

The system (sync, imports, demo load, CLI) is not a setting but a role,
``reusegraph_system``: the policies let a transaction through when its role is a member
of it (migration 0016), and ``reusegraph_api`` is not, so no setting a request's
statements could make turns a request into the system.

The viewer's own settings are signed (``store/viewer_mac.py``, migration 0021): the
policies ignore values whose ``reusegraph.viewer_mac`` does not hold, so a request that
sets ``reusegraph.admin`` or ``reusegraph.member_of`` itself is read as anonymous.
"""

from typing import Any

from sqlalchemy import TextClause, text

from reusegraph.auth.principal import Principal, Role
from reusegraph.store import write_rules
from reusegraph.store.viewer_mac import viewer_mac

API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"

_NAMES = ("timeout", "role", "member_of", "editor_of", "subject", "issuer", "admin", "mac")
_SETTINGS = text(
    "SELECT set_config('statement_timeout', :timeout, true),"
    " set_config('role', :role, true),"
    " set_config('reusegraph.member_of', :member_of, true),"
    " set_config('reusegraph.editor_of', :editor_of, true),"
    " set_config('reusegraph.subject', :subject, true),"
    " set_config('reusegraph.issuer', :issuer, true),"
    " set_config('reusegraph.admin', :admin, true),"
    " set_config('reusegraph.viewer_mac', :mac, true)"
)
_READ_ONLY = text(_SETTINGS.text + ", set_config('transaction_read_only', 'on', true)")


def transaction_settings(
    viewer: Principal | None, timeout_ms: int, key: bytes, *, read_only: bool
) -> tuple[TextClause, dict[str, Any]]:
    """``viewer=None`` is the system itself (demo load, sync): it sees and writes everything.

    ``key``: the viewer key (``store/viewer_mac.ViewerKey``); without the MAC it makes,
    the policies read every setting as empty, the anonymous viewer.
    """
    member_of = editor_of = subject = issuer = ""
    if viewer is not None and viewer.municipality is not None:
        if viewer.is_member_of(viewer.municipality):
            member_of = viewer.municipality
        editor_of = write_rules.editor_of(viewer) or ""
    if viewer is not None and viewer.subject is not None:
        subject = viewer.subject
    if viewer is not None and viewer.issuer is not None:
        issuer = viewer.issuer
    signed = {
        "member_of": member_of,
        "editor_of": editor_of,
        "subject": subject,
        "issuer": issuer,
        "admin": "on" if viewer is not None and Role.ADMIN in viewer.roles else "",
    }
    for value in signed.values():
        if "\x00" in value:
            raise ValueError("a setting cannot hold a NUL character")
    params = {
        "timeout": str(timeout_ms),
        "role": SYSTEM_ROLE if viewer is None else API_ROLE,
        **signed,
        "mac": viewer_mac(key, signed),
    }
    return (_READ_ONLY if read_only else _SETTINGS), params


def session_settings(viewer: Principal, timeout_ms: int, key: bytes) -> tuple[str, tuple[str, ...]]:
    """The viewer's settings for the rest of the session, not the transaction: for the
    compiled read path, whose answer is one statement in its own implicit transaction.

    SQL text with ``$n`` parameters (one round trip on a prepared statement): the values,
    and above all the MAC, are never part of a query's text, which ``pg_stat_activity``
    shows to every session of the same login. Every setting is written each time, so
    whatever the connection's previous user set is replaced before the next statement
    runs. Read-only comes from the connection's ``default_transaction_read_only``.
    """
    statement, params = transaction_settings(viewer, timeout_ms, key, read_only=False)
    sql = statement.text.replace(", true)", ", false)")
    for number, name in enumerate(_NAMES, start=1):
        sql = sql.replace(f":{name},", f"${number},")
    return sql, tuple(str(params[name]) for name in _NAMES)
