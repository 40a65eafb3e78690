"""Reading one cell: CSV text or a JSON value, into the value a process column holds.

Every reader takes what either format writes (``"6,5"`` or ``6.5``, ``"Ja"`` or ``true``,
one item per line or a JSON list) and raises ``ValueProblem`` with what is allowed, so
the row report can say it to the person who fixes the file.
"""

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import orjson

Reader = Callable[[Any], Any]
_TRUE = frozenset({"true", "ja", "yes", "1", "sand"})
_FALSE = frozenset({"false", "nej", "no", "0", "falsk"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What the CSV export guards with a leading apostrophe (``exports.formats``)."""


class ValueProblem(ValueError):
    """A value that cannot be read; the message says what is allowed."""


def is_blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def unescape_csv(value: str) -> str:
    """Undo the export's guard against spreadsheet formulas ("'=1+1" was "=1+1")."""
    if value.startswith("'") and value[1:2] and value[1] in _FORMULA_START:
        return value[1:]
    return value


def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueProblem(f"expected text, got a JSON {type(value).__name__}")
    return str(value).strip()


def integer(value: Any) -> int:
    number = decimal(value, what="a whole number")
    if number != number.to_integral_value():
        raise ValueProblem("expected a whole number")
    return int(number)


def decimal(value: Any, *, what: str = "a number like 6.5") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueProblem(f"expected {what}")
    raw = str(value).strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # a Danish or Norwegian decimal comma
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueProblem(f"expected {what}") from None
    if not number.is_finite():
        raise ValueProblem(f"expected {what}")
    return number


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueProblem("expected true or false (Ja or Nej)")


def day(value: Any) -> date:
    if isinstance(value, str):
        raw = value.strip()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            try:
                return datetime.fromisoformat(raw).date()
            except ValueError:
                pass
    raise ValueProblem("expected a date YYYY-MM-DD")


def moment(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise ValueProblem("expected an ISO 8601 date and time, e.g. 2024-09-06T10:50:00+00:00")


def month(value: Any) -> date:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{2})(?:-01)?\s*", value)
        if match and 1 <= int(match.group(2)) <= 12:
            return date(int(match.group(1)), int(match.group(2)), 1)
    raise ValueProblem("expected a month YYYY-MM")


def lines(value: Any, *, commas: bool = False) -> list[Any]:
    """A JSON list as it is; text split into one item per line (and at commas if asked)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise ValueProblem(f"expected a list, got a JSON {type(value).__name__}")
    parts = re.split(r"[\n,]" if commas else r"\n", value)
    return [part.strip() for part in parts if part.strip()]


def texts(value: Any) -> list[str]:
    return [text(item) for item in lines(value)]


def json_value(value: Any) -> Any:
    """JSON as it is; text that holds JSON (a CSV cell) parsed."""
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise ValueProblem("expected JSON") from None


def json_object(value: Any) -> dict[str, Any]:
    parsed = json_value(value)
    if not isinstance(parsed, dict):
        raise ValueProblem("expected a JSON object")
    return parsed


def matching(pattern: str, example: str) -> Reader:
    def read(value: Any) -> str:
        code = text(value)
        if not re.match(pattern, code):
            raise ValueProblem(f"expected a code like {example}")
        return code

    return read


def choice(enum: type[StrEnum], labels: Mapping[str, str] | None) -> Reader:
    """An enum key (``OPERATION``) or the export's Danish label (``Drift``), any case."""
    known = {member.value.casefold(): member.value for member in enum}
    for key, label in (labels or {}).items():
        if label:
            known.setdefault(label.casefold(), key)
    shown = [
        f"{labels[m.value]} ({m.value})" if labels and labels.get(m.value) else m.value
        for m in enum
    ]

    def read(value: Any) -> str:
        key = known.get(text(value).casefold())
        if key is None:
            raise ValueProblem(f"not allowed; allowed: {', '.join(shown)}")
        return key

    return read


def choices(enum: type[StrEnum], labels: Mapping[str, str] | None) -> Reader:
    one = choice(enum, labels)

    def read(value: Any) -> list[str]:
        keys = []
        for item in lines(value, commas=True):
            try:
                keys.append(one(item))
            except ValueProblem as problem:
                raise ValueProblem(f"{item!r} is {problem}") from None
        return list(dict.fromkeys(keys))

    return read


def field(item: Mapping[str, Any], *names: str) -> Any:
    """A nested object's member by its camelCase or snake_case name."""
    for name in names:
        if item.get(name) is not None:
            return item[name]
    return None
