"""IT systems and technologies."""

from typing import Any

import strawberry
from sqlalchemy.engine import Row


@strawberry.type(description="A line-of-business system, e.g. SOFIE, ESA or HsPro.")
class ItSystem:
    code: str
    name: str
    supplier: str | None
    description: str | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> "ItSystem":
        return cls(code=row.code, name=row.name, supplier=row.supplier, description=row.description)


@strawberry.type(description="An automation technology, e.g. RPA.")
class Technology:
    code: str
    name: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Technology":
        return cls(code=row.code, name=row.name)
