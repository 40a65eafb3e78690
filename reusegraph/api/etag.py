"""ETags and Cache-Control for GraphQL answers (RFC 9110 section 8.8.3 and 13.1.2, RFC 9111).

Only an anonymous GET (no Authorization header, no session cookie) has an ETag: its
answer is what anyone may read, so a browser or a CDN may keep it and ask again with
``If-None-Match``. The tag is a hash of what decides the answer: the data version
(``store/data_version``, changed by every committed write), the document's SHA-256, the
operation name, the variables, the schema and the media type. Checking it costs no SQL,
so a repeated public GET is answered 304 before the document is even parsed.

The tag is weak (``W/``): two answers with one tag have the same ``data``, but
``extensions.cost`` may report a different budget left. Authenticated answers are
``private, no-store``: never kept by a shared cache, never shown to another viewer.
"""

import hashlib
import re
from base64 import urlsafe_b64encode
from typing import Any

import orjson
from graphql import GraphQLSchema, print_schema
from starlette.requests import Request
from starlette.responses import Response

import reusegraph

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-store"
UNTAGGED = "no-store"
"""An anonymous answer without a tag (errors, a stale source, the version unknown)."""
VARY = "Accept, Authorization, Cookie"
SESSION_COOKIE = "reusegraph_session"
PATH = "not-modified"
"""``X-Reusegraph-Path`` of a 304: neither the compiled path nor the executor ran."""
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def is_anonymous(request: Request) -> bool:
    """No credentials of any kind: the answer is the same for everyone who asks."""
    return "authorization" not in request.headers and SESSION_COOKIE not in request.cookies


def schema_version(schema: GraphQLSchema) -> str:
    """Changes with the schema or the release: a new server's answers get new tags."""
    text = f"{reusegraph.__version__}\n{print_schema(schema)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entity_tag(
    version: int,
    document_hash: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    schema: str,
    media_type: str,
) -> str:
    key = orjson.dumps(
        [version, document_hash, operation_name, variables, schema, media_type],
        option=orjson.OPT_SORT_KEYS,
    )
    digest = hashlib.blake2b(key, digest_size=18).digest()
    return f'W/"{urlsafe_b64encode(digest).decode()}"'


def none_match(header: str, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag``: ``*``, or a list compared weakly
    (RFC 9110 13.1.2). A malformed list matches nothing, so the full answer is sent."""
    header = header.strip()
    if header == "*":
        return True
    wanted = tag.removeprefix("W/")[1:-1]
    position = 0
    while position < len(header):
        found = _ENTITY_TAG.match(header, position)
        if found is None:
            return False
        if found.group(1) == wanted:
            return True
        position = found.end()
    return False


def cache_headers(anonymous: bool, tag: str | None) -> dict[str, str]:
    if not anonymous:
        return {"Cache-Control": PRIVATE}
    if tag is None:
        return {"Cache-Control": UNTAGGED}
    return {"ETag": tag, "Cache-Control": PUBLIC, "Vary": VARY}


def not_modified(tag: str, headers: dict[str, str]) -> Response:
    """RFC 9110 15.4.5: the headers a 200 would have had that describe caching."""
    return Response(status_code=304, headers={**headers, **cache_headers(True, tag)})
