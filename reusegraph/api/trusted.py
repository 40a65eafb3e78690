"""Trusted documents: with REUSEGRAPH_TRUSTED_DOCUMENTS set, only registered operations run.

The file is JSON, either an object of hash to document (what GraphQL Codegen's client
preset and Relay write as persisted documents) or an Apollo persisted query manifest
(``{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}``). A
hash is the SHA-256 of the document's exact text, in hex, optionally prefixed
``sha256:``; each is checked against its document when the file is read.

Admins also register documents at runtime (``trustedDocumentRegister``, kept in the
``trusted_document`` table, so every replica sees them): a hash runs when it is in the
file or in the table. The setting's value ``registered`` turns the mode on with the
table alone.

A client sends the hash as ``documentId`` (the GraphQL-over-HTTP persisted documents
proposal), as ``extensions.persistedQuery.sha256Hash`` (Apollo), or sends the full text
as ``query``, which runs only when its hash is registered. Anything else is refused
with ``PERSISTED_QUERY_NOT_FOUND``. An admin's token may send any document, as GraphQL
Hive's ``allowArbitraryDocuments`` allows for trusted callers: how new documents get
registered, and the admin mutations run, while the mode is on.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from reusegraph.store import trusted_documents
from reusegraph.store.engine import Database
from reusegraph.store.trusted_documents import document_hash

_HASH = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
REGISTERED_ONLY = Path("registered")
"""REUSEGRAPH_TRUSTED_DOCUMENTS=registered: no file, only what admins registered."""


class TrustedDocumentsError(ValueError):
    """The file cannot be used; the message says where."""


class NotTrusted(Exception):
    """The request names no registered document."""


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str]) -> None:
        self._documents = dict(documents)

    def __len__(self) -> int:
        return len(self._documents)

    @classmethod
    def from_setting(cls, value: Path) -> "TrustedDocuments":
        return cls({}) if value == REGISTERED_ONLY else cls.load(value)

    @classmethod
    def load(cls, path: Path) -> "TrustedDocuments":
        where = f"REUSEGRAPH_TRUSTED_DOCUMENTS ({path})"
        try:
            raw = orjson.loads(path.read_bytes())
        except OSError as error:
            raise TrustedDocumentsError(f"{where}: cannot read it ({error.strerror})") from None
        except orjson.JSONDecodeError:
            raise TrustedDocumentsError(f"{where}: not valid JSON") from None
        if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
            operations = raw.get("operations")
            if not isinstance(operations, list):
                raise TrustedDocumentsError(f"{where}: `operations` must be a list")
            pairs = [
                (o.get("id"), o.get("body")) if isinstance(o, dict) else (None, None)
                for o in operations
            ]
        elif isinstance(raw, dict):
            pairs = list(raw.items())
        else:
            raise TrustedDocumentsError(
                f"{where}: expected an object of hash to document, or an Apollo manifest"
            )
        documents: dict[str, str] = {}
        for key, body in pairs:
            match = _HASH.match(key) if isinstance(key, str) else None
            if match is None or not isinstance(body, str):
                raise TrustedDocumentsError(
                    f"{where}: entry {key!r} must be a SHA-256 hex hash with a document"
                )
            if document_hash(body) != match.group(1):
                raise TrustedDocumentsError(
                    f"{where}: entry {key!r} is not the SHA-256 of its document"
                    f" (that is {document_hash(body)})"
                )
            documents[match.group(1)] = body
        return cls(documents)

    async def document_of(
        self, query: Any, document_id: Any, extensions: Mapping[str, Any], db: Database
    ) -> str:
        """The registered document this request names (the file's, else the table's);
        ``NotTrusted`` if none."""
        wanted: str | None = None
        persisted = extensions.get("persistedQuery")
        if isinstance(document_id, str):
            wanted = document_id
        elif isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            wanted = persisted["sha256Hash"]
        elif isinstance(query, str):
            wanted = document_hash(query)
        if wanted is None:
            raise NotTrusted(
                "This server runs only trusted documents: send a registered document's"
                " hash as `documentId`."
            )
        match = _HASH.match(wanted)
        found = self._documents.get(match.group(1)) if match else None
        if found is None and match is not None:
            found = await trusted_documents.document_of(db, match.group(1))
        if found is None:
            shown = wanted if len(wanted) <= 80 else wanted[:77] + "..."
            raise NotTrusted(
                f"This server runs only trusted documents, and {shown!r} is not one of them."
            )
        return found
