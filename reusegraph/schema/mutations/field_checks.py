"""Checks of single input values, collected so that one reply lists every problem.

Each check names the field by its path from ``input`` and says what is allowed. Rules
that need the stored record (versions, duplicates, references) are the store's.
"""

import re
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from reusegraph.store.write_errors import FieldError, WriteRejected

_URL = re.compile(r"^https?://[^\s/]+\S*$")
_MUNICIPALITY = re.compile(r"^[A-Z]{2}-[0-9]{3,4}$")


def given(patch: object) -> dict[str, Any]:
    """The fields a patch sets (``strawberry.Maybe``): absent ones are left out."""
    out: dict[str, Any] = {}
    for f in fields(patch):  # type: ignore[arg-type]
        maybe = getattr(patch, f.name)
        if maybe is not None:
            out[f.name] = maybe.value
    return out


class FieldChecks:
    def __init__(self, *path: str) -> None:
        self.path = path
        self.errors: list[FieldError] = []

    def add(self, field: str | None, message: str, code: str = "INVALID") -> None:
        """``field`` None: the problem is the whole input object at ``path``."""
        at = (*self.path, field) if field else self.path
        self.errors.append(FieldError(code, message, at))

    def not_empty(self, fields: dict[str, Any]) -> None:
        if not fields:
            self.add(None, "patch sets nothing; give at least one field to change.", "REQUIRED")

    def done(self) -> None:
        if self.errors:
            raise WriteRejected(*self.errors)

    def text(self, field: str, value: str | None, longest: int) -> str | None:
        """Trimmed; blank becomes None (clears an optional field)."""
        if value is None:
            return None
        value = value.strip()
        if len(value) > longest:
            self.add(field, f"{field} must be at most {longest} characters; got {len(value)}.")
        return value or None

    def required_text(self, field: str, value: str | None, longest: int) -> str:
        checked = self.text(field, value, longest)
        if checked is None:
            self.add(field, f"{field} must not be empty.", "REQUIRED")
            return ""
        return checked

    def url(self, field: str, value: str | None) -> str | None:
        value = self.text(field, value, 1024)
        if value is not None and not _URL.match(value):
            self.add(field, f"{field} must be an http(s) address like https://example.no.")
        return value

    def within(self, field: str, value: float | None, low: float, high: float) -> None:
        if value is not None and not low <= value <= high:
            self.add(field, f"{field} must be {low:g}-{high:g}; got {value:g}.", "OUT_OF_RANGE")

    def municipality(self, field: str, value: str) -> str:
        if not _MUNICIPALITY.match(value):
            self.add(field, f"{value!r} is not a municipality code; codes look like NO-5001.")
        return value

    def municipalities(self, field: str, values: Iterable[str]) -> list[str]:
        return sorted({self.municipality(field, v.strip()) for v in values})

    def codes(self, field: str, values: Iterable[str]) -> list[str]:
        """Vocabulary codes (IT systems, technologies): trimmed, each once."""
        codes = sorted({v.strip() for v in values})
        if "" in codes:
            self.add(field, f"{field} must not hold empty codes.")
        return [c for c in codes if c]
