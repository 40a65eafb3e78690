"""Reuse links and lineage: who reused what, across municipalities, to any depth.

Links are only returned when both ends are readable by the viewer, so a PERSONAL
process never leaks through someone else's lineage. The ends are read from
``process_rollup`` (the same visibility in a narrow row), through aliases built once: an
alias of a table built per request is a few hundred column objects in reference cycles,
which the cyclic garbage collector then pauses requests to free.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, and_, func, literal, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import ProcessRollup, ReuseLink
from reusegraph.store.models.sources import PendingReuse
from reusegraph.store.visibility import readable_processes

L = ReuseLink.__table__
R = ProcessRollup.__table__
ORIGIN, DERIVED = aliased(R, name="origin"), aliased(R, name="derived")
LINK = aliased(L, name="link")
STEP_ORIGIN, STEP_DERIVED = aliased(R, name="step_origin"), aliased(R, name="step_derived")

MAX_DEPTH = 50


def _visible_links(viewer: Principal) -> Any:
    return (
        L.join(ORIGIN, ORIGIN.c.id == L.c.origin_id).join(DERIVED, DERIVED.c.id == L.c.derived_id),
        and_(readable_processes(viewer, ORIGIN), readable_processes(viewer, DERIVED)),
    )


async def _links_by(
    reader: Reader, viewer: Principal, end: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    joined, readable = _visible_links(viewer)
    statement = (
        select(L)
        .select_from(joined)
        .where(any_of(L.c[end], ids), readable)
        .order_by(L.c.reused_on.asc().nulls_last(), L.c.id)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row._mapping[end]].append(row)
    return grouped


async def links_by_origin(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Links whose origin is one of ``ids``: the processes that reused each of them."""
    return await _links_by(reader, viewer, "origin_id", ids)


async def links_by_derived(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Links whose derived process is one of ``ids``: what each of them reused."""
    return await _links_by(reader, viewer, "derived_id", ids)


async def pending_by_derived(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Mirrored reuse links whose origin has not arrived yet, of the readable ``ids``."""
    pending = PendingReuse.__table__
    statement = (
        select(pending)
        .join(DERIVED, DERIVED.c.id == pending.c.derived_id)
        .where(any_of(pending.c.derived_id, ids), readable_processes(viewer, DERIVED))
        .order_by(pending.c.derived_id, pending.c.origin_source_id)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.derived_id].append(row)
    return grouped


async def lineage(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """For each id: every ancestor link (negative depth) and descendant link (positive).

    One recursive CTE per direction for all ids at once. The walk stops at links the
    viewer cannot read and never revisits a process, so cycles end.
    """
    result: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    walks = (("up", "derived_id", "origin_id"), ("down", "origin_id", "derived_id"))
    for direction, near, far in walks:
        # Each step reads only the links out of the processes reached so far (an index
        # probe each), never the whole readable graph.
        joined, readable = _visible_links(viewer)
        seed = (
            select(
                L.c[near].label("root"),
                L.c.id.label("link_id"),
                L.c[far].label("reached"),
                literal(1, Integer).label("depth"),
                array([L.c[near], L.c[far]]).label("path"),
            )
            .select_from(joined)
            .where(any_of(L.c[near], ids), readable)
        )
        walk = seed.cte(f"walk_{direction}", recursive=True)
        link, origin, derived = LINK, STEP_ORIGIN, STEP_DERIVED
        step = (
            select(
                walk.c.root,
                link.c.id,
                link.c[far],
                walk.c.depth + 1,
                walk.c.path.op("||")(link.c[far]),
            )
            .select_from(
                link.join(origin, origin.c.id == link.c.origin_id).join(
                    derived, derived.c.id == link.c.derived_id
                )
            )
            .where(
                link.c[near] == walk.c.reached,
                readable_processes(viewer, origin),
                readable_processes(viewer, derived),
                ~(link.c[far] == walk.c.path.any_()),
                walk.c.depth < MAX_DEPTH,
            )
        )
        walk = walk.union_all(step)
        sign = -1 if direction == "up" else 1
        # Where paths join (two copies merged again), an edge is reached more than once:
        # keep it once, at its shortest distance.
        nearest = (
            select(walk.c.root, walk.c.link_id, func.min(walk.c.depth).label("depth"))
            .group_by(walk.c.root, walk.c.link_id)
            .subquery("nearest")
        )
        statement = (
            select(nearest.c.root, (nearest.c.depth * sign).label("depth"), L)
            .join(L, L.c.id == nearest.c.link_id)
            .order_by(nearest.c.root, nearest.c.depth, L.c.id)
        )
        for row in (await reader.execute(statement)).all():
            result[row.root].append(row)
    return result
