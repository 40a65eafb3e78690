"""Shape 3's lineage (every ancestor and descendant link), written for the two peers.

reusegraph's ``Process.lineage`` walks the reuse graph up and down (``compiler/lineage.py``).
PostGraphile has no such field, so the bench gives it the same walk as two computed-column
functions (``process_ancestor_links``/``process_descendant_links``, SQL, ``STABLE``,
security invoker: row-level security stops the walk where the viewer's reading ends, as
it does for reusegraph). The floor writes the walk into its one statement, with the
anonymous rule spelled out. Both are created in the bench database only, never by a
migration: they exist to compare like with like.
"""

MAX_DEPTH = 50  # reusegraph.store.reuse.MAX_DEPTH; the bench must not import the server's rules
_DIRECTIONS = {"ancestor": ("derived_id", "origin_id"), "descendant": ("origin_id", "derived_id")}


def _walk(near: str, far: str, start: str, readable: str = "") -> str:
    """Rows (link_id, depth) of the walk from ``start``, each link at its nearest depth."""
    ends = (
        " JOIN process o ON o.id = k.origin_id JOIN process d ON d.id = k.derived_id"
        f" WHERE {readable.format(p='o')} AND {readable.format(p='d')} AND"
        if readable
        else " WHERE"
    )
    return (
        "WITH RECURSIVE walk(link_id, reached, depth, path) AS ("
        f" SELECT k.id, k.{far}, 1, ARRAY[k.{near}, k.{far}] FROM reuse_link k{ends}"
        f" k.{near} = {start}"
        f" UNION ALL SELECT k.id, k.{far}, walk.depth + 1, walk.path || k.{far}"
        f" FROM walk JOIN reuse_link k ON k.{near} = walk.reached{ends}"
        f" NOT k.{far} = ANY (walk.path) AND walk.depth < {MAX_DEPTH})"
        " SELECT link_id, min(depth) AS depth FROM walk GROUP BY link_id"
    )


POSTGRAPHILE_FUNCTIONS = "\n".join(
    f"CREATE OR REPLACE FUNCTION public.process_{name}_links(p process)"
    " RETURNS SETOF reuse_link LANGUAGE sql STABLE AS $$"
    f" SELECT k.* FROM ({_walk(near, far, 'p.id')}) AS w"
    " JOIN reuse_link k ON k.id = w.link_id ORDER BY w.depth, k.id $$;"
    for name, (near, far) in _DIRECTIONS.items()
)
"""Run once on the bench database before PostGraphile starts (it reads functions at start)."""


def floor_lineage(readable: str) -> str:
    """The ``lineage`` object of process ``p`` as the floor's statement builds it."""

    def links(name: str, end: str) -> str:
        near, far = _DIRECTIONS[name]
        return (
            "(SELECT coalesce(json_agg(json_build_object("
            "'depth', w.depth, 'kind', k.kind,"
            f" '{end}', json_build_object('title', e.title,"
            " 'municipality', json_build_object('code', e.municipality_code))"
            "  ) ORDER BY w.depth, k.id), '[]')"
            f" FROM ({_walk(near, far, 'p.id', readable)}) AS w"
            f" JOIN reuse_link k ON k.id = w.link_id JOIN process e ON e.id = k.{far})"
        )

    return (
        "json_build_object("
        f"'ancestors', {links('ancestor', 'origin')},"
        f" 'descendants', {links('descendant', 'derived')})"
    )
