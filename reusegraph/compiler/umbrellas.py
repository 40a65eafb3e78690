"""``Process.umbrella``, ``umbrellas`` and ``members``, ordered as ``store.umbrellas``.

The pair's policy follows the member and the far end is a process read under its own
policy, so each list holds exactly what the store's join on readable processes holds.
"""

from reusegraph.compiler.objects import Spec, listed, nested
from reusegraph.store.enums import ProcessType

_OWN_FIRST = f"CASE WHEN {{a}}.type = '{ProcessType.PARENT.value}' THEN 0 ELSE 1 END"
_UMBRELLAS = (
    "FROM process_umbrella {a}u JOIN process {a} ON {a}.id = {a}u.umbrella_id"
    " WHERE {a}u.child_id = {t}.id"
)
_UMBRELLA_ORDER = _OWN_FIRST + ", {a}.title, {a}.id"

PROCESS: dict[str, Spec] = {
    "umbrella": nested("Process", f"{_UMBRELLAS} ORDER BY {_UMBRELLA_ORDER} LIMIT 1"),
    "umbrellas": listed("Process", _UMBRELLAS, _UMBRELLA_ORDER),
    "members": listed(
        "Process",
        "FROM process_umbrella {a}u JOIN process {a} ON {a}.id = {a}u.child_id"
        " WHERE {a}u.umbrella_id = {t}.id",
        "{a}.title, {a}.id",
    ),
}
