"""What every write to the shared directory checks: who may write, and from which version.

Municipalities, vendors, agreements and meetings are public reading, so their tables have
no row-level security; the store functions decide here instead. Admins may change any
record; editors the records their own municipality takes part in.
"""

from collections.abc import Collection, Mapping
from typing import Any

from reusegraph.auth.principal import Role
from reusegraph.store.audit import Call
from reusegraph.store.write_errors import WriteForbidden, rejected


def is_admin(call: Call) -> bool:
    return Role.ADMIN in call.viewer.roles


def require_admin(call: Call, what: str) -> None:
    if not is_admin(call):
        raise WriteForbidden(f"Only an admin may {what}; you have {_roles(call)}.")


def require_editor(call: Call) -> None:
    if not call.viewer.roles & {Role.EDITOR, Role.ADMIN}:
        raise WriteForbidden(f"Writing needs the editor or admin role; you have {_roles(call)}.")


def require_writer(call: Call, municipalities: Collection[str], what: str) -> None:
    """Admins pass; editors pass when their municipality is one of ``municipalities``.

    ``what`` completes "Only editors of ... may ...", e.g. "change the settings of NO-5001".
    """
    require_editor(call)
    if is_admin(call) or call.viewer.municipality in municipalities:
        return
    who = ", ".join(sorted(municipalities)) or "no municipality"
    raise WriteForbidden(
        f"Only editors of {who} (or an admin) may {what}; you edit for "
        f"{call.viewer.municipality or 'no municipality'}."
    )


def require_version(row: Mapping[str, Any], version: int, noun: str) -> None:
    if row["version"] != version:
        raise rejected(
            "VERSION_CONFLICT",
            f"The {noun} was changed meanwhile (now version {row['version']}, you sent "
            f"{version}); reload it and apply your change again.",
            "version",
        )


def _roles(call: Call) -> str:
    return ", ".join(sorted(call.viewer.roles)) or "no role"
