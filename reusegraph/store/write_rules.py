"""Who may write which record, and from which version: every write rule of the store.

The GraphQL fields declare the role a caller needs (``schema/core/permissions.py``);
the rules here see the record. Municipalities, vendors, agreements and meetings are
public reading, so their tables have no row-level security and these rules decide:
admins may change any record, editors the records their own municipality takes part
in (``require_writer``). Processes and their links also have policies (migrations 0003,
0021: ``editor_of``, which ``editor_of`` here fills); ``require_editor`` with the
process's municipality checks the same first, so the caller learns why. What a policy
refuses all the same reaches the caller as ``WriteForbidden`` (``write_errors.refusals``).
"""

from collections.abc import Collection, Mapping
from typing import Any

from reusegraph.auth.principal import Principal, Role
from reusegraph.store.audit import Call
from reusegraph.store.enums import SourceKind
from reusegraph.store.write_errors import WriteForbidden, rejected

WRITERS = frozenset({Role.EDITOR, Role.ADMIN})


def is_admin(call: Call) -> bool:
    return Role.ADMIN in call.viewer.roles


def editor_of(viewer: Principal) -> str | None:
    """The municipality whose processes the viewer may write (the policies' ``editor_of``)."""
    return viewer.municipality if viewer.roles & WRITERS else None


def may_write_for(viewer: Principal, municipalities: Collection[str]) -> bool:
    """Admins may; editors when their municipality is one of ``municipalities``."""
    if Role.ADMIN in viewer.roles:
        return True
    return Role.EDITOR in viewer.roles and viewer.municipality in municipalities


def registers_own_file_source(call: Call, kind: str, owners: Collection[str]) -> bool:
    """An editor registers the file source of their own municipality alone (an import);
    any other source is an admin's (``source_writes`` then checks the source's owners)."""
    viewer = call.viewer
    return (
        Role.EDITOR in viewer.roles
        and kind == SourceKind.FILE
        and viewer.municipality is not None
        and set(owners) == {viewer.municipality}
    )


def require_admin(call: Call, what: str) -> None:
    if not is_admin(call):
        raise WriteForbidden(f"Only the admin role may {what}; you have {_roles(call)}.")


def require_editor(call: Call, municipality: str | None = None) -> None:
    """Editors and admins write. Given ``municipality`` (a process's), only their own
    municipality's, admins too: the process policies know ``editor_of`` alone."""
    if not call.viewer.roles & WRITERS:
        raise WriteForbidden(f"Writing needs the editor or admin role; you have {_roles(call)}.")
    if municipality is not None and call.viewer.municipality != municipality:
        raise WriteForbidden(
            f"Only editors of {municipality} may change its data; you edit for "
            f"{call.viewer.municipality or 'no municipality'}."
        )


def require_writer(call: Call, municipalities: Collection[str], what: str) -> None:
    """Admins pass; editors pass when their municipality is one of ``municipalities``.

    ``what`` completes "Only editors of ... may ...", e.g. "change the settings of NO-5001".
    """
    require_editor(call)
    if may_write_for(call.viewer, municipalities):
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
