"""Automatic persisted queries, Apollo's protocol (``extensions.persistedQuery``).

A client sends ``{"version": 1, "sha256Hash": ...}`` without ``query``; a hash not known
is answered ``PersistedQueryNotFound`` (Apollo's exact error, status 200), and the client
sends the hash again with the document, which is checked, run, and kept (in PostgreSQL,
so every replica knows it; a bounded LRU in front). From then on a GET with the hash
alone runs it, and a CDN can cache that GET (``api/etag.py``). A document is kept only
once it has parsed and validated, as Apollo Server does, so junk does not fill the store.

With trusted documents on (``api/trusted.py``) nothing is registered here: only hashes
an admin registered run.
"""

import re
from collections import OrderedDict
from typing import Any

from reusegraph.store import persisted_queries
from reusegraph.store.engine import Database
from reusegraph.store.trusted_documents import document_hash

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_CACHE_CONTROL = "private, no-cache, must-revalidate"
"""What Apollo Server sends with it: the client will send the document next."""
CACHED = 1000
_HEX = re.compile(r"^[0-9a-f]{64}$")
_DOCUMENT_ID = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")


class BadPersistedQuery(ValueError):
    """``extensions.persistedQuery`` is malformed or its hash is not the document's."""


class PersistedQueryNotFound(Exception):
    pass


def requested_hash(params: dict[str, Any]) -> str | None:
    """The SHA-256 of the document a request names, without looking anything up."""
    query = params.get("query")
    if isinstance(query, str) and query.strip():
        return document_hash(query)
    persisted = (params.get("extensions") or {}).get("persistedQuery")
    if isinstance(persisted, dict):
        sent = persisted.get("sha256Hash")
        return sent if isinstance(sent, str) and _HEX.match(sent) else None
    document_id = params.get("documentId")
    match = _DOCUMENT_ID.match(document_id) if isinstance(document_id, str) else None
    return match.group(1) if match else None


def persisted_hash(extensions: dict[str, Any]) -> str | None:
    """The hash ``extensions.persistedQuery`` sends; None without one."""
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise BadPersistedQuery("`extensions.persistedQuery` must be an object.")
    if persisted.get("version") != 1:
        raise BadPersistedQuery(
            "Unsupported persisted query version: `extensions.persistedQuery.version` must be 1."
        )
    sent = persisted.get("sha256Hash")
    if not isinstance(sent, str) or not _HEX.match(sent):
        raise BadPersistedQuery(
            "`extensions.persistedQuery.sha256Hash` must be the document's SHA-256"
            " in 64 lowercase hex digits."
        )
    return sent


def document_id_hash(document_id: str) -> str:
    match = _DOCUMENT_ID.match(document_id)
    if match is None:
        raise BadPersistedQuery(
            "`documentId` must be a document's SHA-256: 64 lowercase hex digits,"
            " optionally prefixed `sha256:`."
        )
    return match.group(1)


def checked(sha256_hash: str, query: str) -> None:
    actual = document_hash(query)
    if actual != sha256_hash:
        raise BadPersistedQuery(
            "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`"
            f" (that is {actual}); send the hash of the document's exact text."
        )


class PersistedQueries:
    def __init__(self, db: Database, cached: int = CACHED) -> None:
        self.db = db
        self.cached = cached
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def document_of(self, sha256_hash: str) -> str:
        found = self._documents.get(sha256_hash)
        if found is not None:
            self._documents.move_to_end(sha256_hash)
            return found
        found = await persisted_queries.document_of(self.db, sha256_hash)
        if found is None:
            raise PersistedQueryNotFound(sha256_hash)
        self._keep(sha256_hash, found)
        return found

    async def register(self, sha256_hash: str, query: str) -> None:
        if sha256_hash in self._documents:
            self._documents.move_to_end(sha256_hash)
            return
        await persisted_queries.remember(self.db, sha256_hash, query)
        self._keep(sha256_hash, query)

    def _keep(self, sha256_hash: str, query: str) -> None:
        self._documents[sha256_hash] = query
        while len(self._documents) > self.cached:
            self._documents.popitem(last=False)


def not_found_body(request_id: str) -> dict[str, Any]:
    """Apollo's answer to an unknown hash (sent with status 200), with this server's
    request id."""
    extensions = {"code": NOT_FOUND, "requestId": request_id}
    return {"errors": [{"message": NOT_FOUND_MESSAGE, "extensions": extensions}]}
