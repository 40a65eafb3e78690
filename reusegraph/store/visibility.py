"""Which rows a principal may read, as SQL predicates applied inside every read query.

Rules (OS2autoproces's, kept): PUBLIC processes and shared umbrellas (GLOBAL_PARENT) are
readable by everyone; MUNICIPALITY ones by members of the owning municipality; PERSONAL
ones by their reporter and co-editors in that municipality.
"""

from sqlalchemy import ColumnElement, FromClause, and_, false, literal, or_

from reusegraph.auth.principal import Principal
from reusegraph.store.enums import ProcessType, Visibility
from reusegraph.store.models import Process
from reusegraph.store.viewer_mac import viewer_setting

_process = Process.__table__


def readable_by_everyone(table: FromClause = _process) -> ColumnElement[bool]:
    """PUBLIC processes and shared umbrellas: what rollups may count for every caller."""
    return or_(table.c.visibility == Visibility.PUBLIC, table.c.type == ProcessType.GLOBAL_PARENT)


def readable_processes(viewer: Principal, table: FromClause = _process) -> ColumnElement[bool]:
    c = table.c
    public = readable_by_everyone(table)
    if viewer.municipality is None or not viewer.is_member_of(viewer.municipality):
        return public
    own = c.municipality_code == viewer.municipality
    personal: ColumnElement[bool] = false()
    if viewer.subject is not None:
        personal = and_(
            c.visibility == Visibility.PERSONAL,
            or_(c.reporter == viewer.subject, literal(viewer.subject) == c.co_editors.any_()),
        )
    return or_(public, and_(own, or_(c.visibility == Visibility.MUNICIPALITY, personal)))


def sees_internals(table: FromClause = _process) -> ColumnElement[bool]:
    """Whether this request's viewer may see a process's internal fields (notes, case
    reference, reporter, owner, co-editors): members of the owning municipality.

    Read from the transaction's signed ``reusegraph.member_of`` setting (``store/rls.py``,
    ``store/viewer_mac.py``), not from a bound value: both read paths, the executor's and
    the compiled one, render this one rule, and a compiled statement stays the same text
    for every viewer.
    """
    return table.c.municipality_code == viewer_setting("member_of")
