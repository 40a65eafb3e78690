"""Links and attachments of a process, as the caller may see them."""

from typing import Any

import strawberry
from sqlalchemy.engine import Row


@strawberry.type(description="A link about the process (documentation, code, video).")
class ProcessLink:
    url: str
    label: str | None
    internal: bool = strawberry.field(description="Only the owning municipality sees these.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> "ProcessLink":
        return cls(url=row.url, label=row.label, internal=row.internal)


@strawberry.type(description="A file attached to the process.")
class ProcessAttachment:
    file_name: str
    url: str
    shared: bool = strawberry.field(
        description="Visible to other municipalities (OS2autoproces: visibleToOtherMunicipalities)."
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> "ProcessAttachment":
        return cls(file_name=row.file_name, url=row.url, shared=row.shared)
