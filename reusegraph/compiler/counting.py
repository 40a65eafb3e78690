"""``extensions.cost.actual`` of a compiled answer, counted in its JSON text.

The executor counts the objects of its answer (``schema.limits.budget.count_objects``);
parsing the compiled answer to do the same would cost more than building it (1.5 ms for
1 600 objects, against 80 µs here). An object is a ``{`` outside a string. Keeping only
quotes and braces and dropping every pair of adjacent quotes leaves, between two braces,
one quote exactly when a brace sits inside a string (a string without one is a pair), so
when no quote is left every brace is an object. Otherwise, and when a string holds an
escaped quote, the answer is parsed and counted as the executor counts it.
"""

import orjson

from reusegraph.schema.limits.budget import count_objects

_QUOTE, _BRACE = ord('"'), ord("{")
_OTHERS = bytes(b for b in range(256) if b not in (_QUOTE, _BRACE))


def count_objects_in_json(data: bytes) -> int:
    """Objects below the root of ``data``, a JSON object as PostgreSQL writes it."""
    if b'\\"' not in data:
        left = data.translate(None, _OTHERS).replace(b'""', b"")
        if b'"' not in left:
            return max(0, len(left) - 1)
    return count_objects(orjson.loads(data))
