"""Trusted documents an admin registered (``api/trusted.py`` runs only those in its mode).

The type and the ``trustedDocuments`` list; ``schema/mutations/trusted_documents.py``
fills it. A document's hash is the SHA-256 of its exact text, what a client then sends
as ``documentId``.
"""

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.pagination import Connection, checked_window, connection
from reusegraph.schema.core.permissions import needs
from reusegraph.store import trusted_documents


@strawberry.type(description="An operation that runs in the trusted-documents mode.")
class TrustedDocument:
    hash: str = strawberry.field(
        description="SHA-256 of the document's exact text, in hex: send it as `documentId`."
    )
    name: str | None
    document: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> "TrustedDocument":
        return cls(
            hash=row.sha256_hash, name=row.name, document=row.document, created_at=row.created_at
        )


@strawberry.type
class TrustedDocumentQueries:
    @strawberry.field(
        description="Documents admins registered for the trusted-documents mode, newest first"
        " (admin). Those of the REUSEGRAPH_TRUSTED_DOCUMENTS file are not listed.",
        permission_classes=[needs(Role.ADMIN, what="The list of trusted documents")],
    )
    async def trusted_documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[TrustedDocument]:
        window = checked_window(first, after, last, before)
        reader = info.context.reader
        page = await trusted_documents.list_documents(reader, **window.arguments())
        return connection(
            page, TrustedDocument.from_row, lambda: trusted_documents.count_documents(reader)
        )
