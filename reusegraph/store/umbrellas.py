"""Umbrellas: OS2autoproces's own (PARENT) and shared (GLOBAL_PARENT) groups of processes.

``process_umbrella`` holds (umbrella, member) pairs; a process may sit under an own
umbrella and a shared one at once. Both directions read only what the viewer may read:
the pair's policy follows the member, and the far end is filtered here as every process
read is (``readable_processes``), so a PERSONAL member stays hidden from other people.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, case, select

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.enums import ProcessType
from reusegraph.store.keys import any_of
from reusegraph.store.models import Process, process_umbrella
from reusegraph.store.visibility import readable_processes

P = cast(Table, Process.__table__)
U = process_umbrella
UMBRELLA_TYPES = (ProcessType.PARENT.value, ProcessType.GLOBAL_PARENT.value)


async def umbrellas_by_member(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each member's readable umbrellas: its own municipality's (PARENT) first, then shared."""
    own_first = case((P.c.type == ProcessType.PARENT.value, 0), else_=1)
    statement = (
        select(U.c.child_id, U.c.umbrella_id)
        .join(P, P.c.id == U.c.umbrella_id)
        .where(any_of(U.c.child_id, ids), readable_processes(viewer))
        .order_by(U.c.child_id, own_first, P.c.title, P.c.id)
    )
    return _grouped((await reader.execute(statement)).all())


async def members_by_umbrella(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each umbrella's readable members, by title."""
    statement = (
        select(U.c.umbrella_id, U.c.child_id)
        .join(P, P.c.id == U.c.child_id)
        .where(any_of(U.c.umbrella_id, ids), readable_processes(viewer))
        .order_by(U.c.umbrella_id, P.c.title, P.c.id)
    )
    return _grouped((await reader.execute(statement)).all())


def _grouped(rows: Sequence[Any]) -> dict[uuid.UUID, list[uuid.UUID]]:
    grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped
