"""``Process.lineage``: the store's two walks (``store.reuse.lineage``) as SQL in the answer.

Each direction is one ``WITH RECURSIVE`` inside a scalar subquery, correlated to the
process: up through ``derived_id -> origin_id``, down the other way, at most
``MAX_DEPTH`` steps, never into a process already on the path (so cycles end), each link
kept once at its smallest depth, ordered by depth and then link id as the store orders
them. The statement runs as the viewer, so the policy on ``reuse_link`` (both ends
readable) stops the walk at links the viewer cannot read, as the store's join does.
"""

from graphql import FieldNode

from reusegraph.compiler.objects import Spec, Writer, inline, object_json, register
from reusegraph.compiler.selection import Scope
from reusegraph.store.reuse import MAX_DEPTH

_WALKS = {"ancestors": ("derived_id", "origin_id"), "descendants": ("origin_id", "derived_id")}


def _walk(near: str, far: str) -> str:
    """Rows (link_id, depth) of the walk from ``{t}`` (the process), nearest depth each."""
    return (
        f"WITH RECURSIVE walk(link_id, reached, depth, path) AS ("
        f"SELECT k.id, k.{far}, 1, ARRAY[k.{near}, k.{far}] FROM reuse_link k"
        f" WHERE k.{near} = {{t}}.id"
        f" UNION ALL SELECT k.id, k.{far}, walk.depth + 1, walk.path || k.{far}"
        f" FROM walk JOIN reuse_link k ON k.{near} = walk.reached"
        f" WHERE NOT k.{far} = ANY (walk.path) AND walk.depth < {MAX_DEPTH})"
        f" SELECT link_id, min(depth) AS depth FROM walk GROUP BY link_id"
    )


def _links(direction: str) -> Writer:
    near, far = _WALKS[direction]
    walk = _walk(near, far)

    def write(scope: Scope, nodes: list[FieldNode], t: str) -> str:
        a = scope.alias("g")
        body = object_json(scope, "LineageLink", nodes, a)
        return (
            f"(SELECT coalesce(json_agg({body} ORDER BY {a}.lineage_depth, {a}.id), '[]')"
            f" FROM (SELECT k.*, w.depth AS lineage_depth FROM ({walk.format(t=t)}) AS w"
            f" JOIN reuse_link k ON k.id = w.link_id) AS {a})"
        )

    return write


register("Lineage", {direction: _links(direction) for direction in _WALKS})
LINEAGE = inline("Lineage")
"""``Process.lineage``: an object of the process's own row, as ``inline`` writes it."""
DEPTH: dict[str, Spec] = {"depth": "{t}.lineage_depth"}
"""What a ``LineageLink`` adds to a ``ReuseLink``."""
