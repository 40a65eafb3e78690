"""What a request asks of a field's objects, read from its selection set.

Lets a resolver load less when the client asks for little: the ends of a reuse graph are
usually drawn from their ids, titles and municipalities, and loading every column of a
thousand processes for that was a third of a large graph's time (issue 5).
"""

from collections.abc import Iterable, Iterator, Sequence

from strawberry.types.nodes import SelectedField, Selection

from reusegraph.schema.context import Info


def asked_at(info: Info, *paths: Sequence[str]) -> set[str]:
    """The names of the fields selected at any of ``paths`` below the current field,
    through fragments, whatever their directives (a superset is always safe)."""
    below = [child for field in _fields(info.selected_fields) for child in field.selections]
    found: set[str] = set()
    for path in paths:
        found |= _names_at(below, path)
    return found


def _names_at(selections: Iterable[Selection], path: Sequence[str]) -> set[str]:
    if not path:
        return {field.name for field in _fields(selections)}
    found: set[str] = set()
    for field in _fields(selections):
        if field.name == path[0]:
            found |= _names_at(field.selections, path[1:])
    return found


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment, named or inline: its fields are the parent's
            yield from _fields(selection.selections)
