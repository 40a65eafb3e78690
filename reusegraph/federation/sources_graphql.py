"""A client for the source contract: one ``changes`` page from a remote GraphQL registry.

Anything the remote gets wrong becomes a ``SyncError`` that says what was expected and
what came; nothing is written from a page that does not parse completely. Values that
parse but break our rules (an unknown phase, say) are the store's to judge per record.
"""

import asyncio
import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
import orjson

from reusegraph.federation.contract_fields import (
    BOOL,
    DATE,
    DATETIME,
    INT,
    MONTH,
    NUMBER,
    PROCESS_FIELDS,
    TEXT,
    FieldTypeError,
    selection,
)
from reusegraph.federation.errors import (
    RemoteAuthError,
    RemoteFormatError,
    RemoteGraphQLError,
    RemoteHttpError,
    RemoteTimeout,
    RemoteUnreachable,
)
from reusegraph.store.mirror_records import (
    CatalogItem,
    LinkItem,
    MirrorRecord,
    ReuseRef,
    Tombstone,
    VendorRef,
)

OPTIONAL_FIELDS = frozenset({"umbrellaIds"})
"""Fields newer than the contract's first version: a remote that predates one is asked
again without it (``RemoteGraphQLError.refused_fields``), and what it would have carried
is kept as it is (``umbrellaIds`` missing: memberships stay)."""


@lru_cache(maxsize=4)
def query(without: frozenset[str] = frozenset()) -> str:
    return (
        "query Changes($since: String, $first: Int, $municipality: String) {"
        " changes(since: $since, first: $first, municipality: $municipality) {"
        f" upserts {selection(without)}"
        " tombstones { id municipality deletedAt } cursor hasMore } }"
    )


QUERY = query()
_REFUSED_FIELD = re.compile(r"Cannot query field ['\"](\w+)['\"] on type ['\"]\w+['\"]")
RETRYABLE_CODES = {"SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "RATE_LIMITED"}


@dataclass
class RemotePage:
    records: list[MirrorRecord]
    tombstones: list[Tombstone]
    cursor: str | None
    has_more: bool


async def fetch_changes(
    client: httpx.AsyncClient,
    endpoint: str,
    *,
    since: str | None,
    first: int,
    municipality: str | None,
    headers: dict[str, str],
    request_timeout: float,
    without: frozenset[str] = frozenset(),
) -> RemotePage:
    """``without``: optional fields (``OPTIONAL_FIELDS``) not to ask this remote for."""
    variables = {"since": since, "first": first, "municipality": municipality}
    body = orjson.dumps({"query": query(without), "variables": variables})
    try:
        response = await client.post(
            endpoint,
            content=body,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            timeout=request_timeout,
        )
    except httpx.TimeoutException:
        raise RemoteTimeout(f"{endpoint} did not answer within {request_timeout:g} s") from None
    except httpx.TransportError as error:
        raise RemoteUnreachable(f"cannot reach {endpoint}: {_describe(error)}") from None
    if response.status_code in (401, 403):
        raise RemoteAuthError(
            f"{endpoint} refused our credentials ({response.status_code}): {_snippet(response)}",
            response.status_code,
        )
    try:
        answer = await asyncio.to_thread(_decode, response.content)
    except orjson.JSONDecodeError:
        if response.is_error:
            raise RemoteHttpError(
                f"{endpoint} answered {response.status_code}: {_snippet(response)}",
                response.status_code,
            ) from None
        kind = response.headers.get("content-type", "no content type")
        raise RemoteFormatError(
            f"{endpoint} did not answer with JSON ({kind}): {_snippet(response)}"
        ) from None
    if not isinstance(answer, dict):
        raise RemoteFormatError(f"{endpoint} answered JSON that is not a GraphQL response object")
    errors = answer.get("errors")
    data = answer.get("data")
    if errors:
        raise _graphql_error(endpoint, errors)
    if response.is_error:
        raise RemoteHttpError(
            f"{endpoint} answered {response.status_code}: {_snippet(response)}",
            response.status_code,
        )
    changes = data.get("changes") if isinstance(data, dict) else None
    if not isinstance(changes, dict):
        raise RemoteFormatError(f"{endpoint}: the answer has no data.changes object")
    # Reading a page of 500 processes takes a tenth of a second of pure Python; on the
    # event loop it would hold up every other source's database statements that long.
    # In a thread the loop still gets its turns (the GIL switches every 5 ms). The same
    # for decoding it, above.
    return await asyncio.to_thread(_parse_quietly, changes, endpoint, without)


_pausing = threading.Lock()
_readers = 0
_collecting = True


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector off while any page is decoded or read.

    A page makes tens of thousands of fresh containers and no cycles; the collector
    kept scanning them, a tenth of the sync's CPU over 100 000 processes. It is off
    only meanwhile, so cycles made elsewhere are still collected.
    """
    global _readers, _collecting
    with _pausing:
        _readers += 1
        if _readers == 1:
            _collecting = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pausing:
            _readers -= 1
            if _readers == 0 and _collecting:
                gc.enable()


def _decode(content: bytes) -> Any:
    with _collector_paused():
        return orjson.loads(content)


def _parse_quietly(changes: dict[str, Any], endpoint: str, without: frozenset[str]) -> RemotePage:
    with _collector_paused():
        return parse_page(changes, endpoint, without)


def parse_page(
    changes: dict[str, Any], endpoint: str, without: frozenset[str] = frozenset()
) -> RemotePage:
    upserts, tombstones = changes.get("upserts"), changes.get("tombstones")
    cursor, has_more = changes.get("cursor"), changes.get("hasMore")
    if not isinstance(upserts, list) or not isinstance(tombstones, list):
        raise RemoteFormatError(f"{endpoint}: changes.upserts and changes.tombstones must be lists")
    if cursor is not None and not isinstance(cursor, str):
        raise RemoteFormatError(f"{endpoint}: changes.cursor must be a string")
    if not isinstance(has_more, bool):
        raise RemoteFormatError(f"{endpoint}: changes.hasMore must be true or false")
    umbrellas = "umbrellaIds" not in without
    records = [_record(item, index, endpoint, umbrellas) for index, item in enumerate(upserts)]
    gone = [_tombstone(item, index, endpoint) for index, item in enumerate(tombstones)]
    return RemotePage(records, gone, cursor, has_more)


_FIELDS = tuple((name, *spec) for name, spec in PROCESS_FIELDS.items())


def _record(item: Any, index: int, endpoint: str, umbrellas: bool = True) -> MirrorRecord:
    if not isinstance(item, dict):
        raise RemoteFormatError(f"{endpoint}: changes.upserts[{index}] is not an object")
    try:
        source_id = _id(item.get("id"))
        values: dict[str, Any] = {}
        for name, column, read, required in _FIELDS:
            value = item.get(name)
            if value is None:
                if required:
                    raise FieldTypeError(f"{name} is required")
                continue
            if read is TEXT and type(value) is str:  # most fields; spares a call each
                values[column] = value
                continue
            try:
                values[column] = read(value)
            except FieldTypeError as error:
                raise FieldTypeError(f"{name}: {error}") from None
        vendor = item.get("vendor")
        return MirrorRecord(
            source_id=source_id,
            values=values,
            source_url=_optional(item, "url", TEXT),
            vendor=VendorRef(
                name=TEXT(vendor.get("name")),
                country=_optional(vendor, "country", TEXT),
                org_number=_optional(vendor, "orgNumber", TEXT),
            )
            if isinstance(vendor, dict)
            else None,
            it_systems=[_catalog(c) for c in _list(item, "itSystems")],
            technologies=[_catalog(c) for c in _list(item, "technologies")],
            benefits=_benefits(_list(item, "benefits")),
            reused_from=[_reuse(r) for r in _list(item, "reusedFrom")],
            links=[
                LinkItem(
                    url=TEXT(k.get("url")),
                    label=_optional(k, "label", TEXT),
                    internal=bool(_optional(k, "internal", BOOL)),
                )
                for k in _list(item, "links")
            ],
            umbrellas=_ids(item, "umbrellaIds") if umbrellas else None,
        )
    except (FieldTypeError, AttributeError) as error:
        where = f"{endpoint}: changes.upserts[{index}]"
        raise RemoteFormatError(f"{where}: {error}; the source contract says otherwise") from None


def _tombstone(item: Any, index: int, endpoint: str) -> Tombstone:
    if not isinstance(item, dict):
        raise RemoteFormatError(f"{endpoint}: changes.tombstones[{index}] is not an object")
    try:
        return Tombstone(_id(item.get("id")), _optional(item, "deletedAt", DATETIME))
    except FieldTypeError as error:
        raise RemoteFormatError(f"{endpoint}: changes.tombstones[{index}]: {error}") from None


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise FieldTypeError(f"id must be a non-empty string, got {value!r}")
    return value


def _optional(item: dict[str, Any], name: str, read: Any) -> Any:
    value = item.get(name)
    if value is None:
        return None
    try:
        return read(value)
    except FieldTypeError as error:
        raise FieldTypeError(f"{name}: {error}") from None


def _ids(item: dict[str, Any], name: str) -> list[str]:
    value = item.get(name)
    if value is None:
        return []
    if type(value) is list and all(type(v) is str for v in value):
        return list(value)
    raise FieldTypeError(f"{name} must be a list of ids")


def _list(item: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = item.get(name)
    if value is None:
        return []
    if type(value) is list and (not value or {type(v) for v in value} == _OBJECTS):
        return value
    raise FieldTypeError(f"{name} must be a list of objects")


def _catalog(entry: dict[str, Any]) -> CatalogItem:
    return CatalogItem(code=TEXT(entry.get("code")), name=TEXT(entry.get("name")))


_OBJECTS = {dict}
_month = lru_cache(maxsize=512)(MONTH)
"""A feed repeats the same two dozen months: each is read once."""
_NUMBER_TYPES = frozenset({int, float})
_MAYBE_NUMBER = frozenset({int, float, type(None)})
_MAYBE_INT = frozenset({int, type(None)})
_MAYBE_TEXT = frozenset({str, type(None)})


def _benefits(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A process's benefit records; a large first sync reads millions of them.

    The usual list is read in one pass and its types checked in a few set operations;
    numbers stay as JSON gave them (they reach PostgreSQL as JSON again, with the same
    digits ``Decimal`` would keep). Anything unusual is read record by record, which
    says what is wrong.
    """
    if not entries:
        return []
    try:
        rows = [
            {
                "period": _month(entry["period"]),
                "kind": entry.get("kind") or "MEASURED",
                "cases": entry.get("cases"),
                "hours_saved": entry["hoursSaved"],
                "money_amount": entry.get("moneyAmount"),
                "currency": entry.get("currency"),
                "note": entry.get("note"),
            }
            for entry in entries
        ]
    except (KeyError, TypeError, FieldTypeError):
        return [_benefit_checked(entry) for entry in entries]
    if (
        {type(entry.get("kind")) for entry in entries} <= _MAYBE_TEXT
        and {type(row["hours_saved"]) for row in rows} <= _NUMBER_TYPES
        and {type(row["cases"]) for row in rows} <= _MAYBE_INT
        and {type(row["money_amount"]) for row in rows} <= _MAYBE_NUMBER
        and {type(row["currency"]) for row in rows} <= _MAYBE_TEXT
        and {type(row["note"]) for row in rows} <= _MAYBE_TEXT
    ):
        return rows
    return [_benefit_checked(entry) for entry in entries]


def _benefit_checked(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": MONTH(entry.get("period")),
        "kind": _optional(entry, "kind", TEXT) or "MEASURED",
        "cases": _optional(entry, "cases", INT),
        "hours_saved": NUMBER(entry.get("hoursSaved")),
        "money_amount": _optional(entry, "moneyAmount", NUMBER),
        "currency": _optional(entry, "currency", TEXT),
        "note": _optional(entry, "note", TEXT),
    }


def _reuse(entry: dict[str, Any]) -> ReuseRef:
    return ReuseRef(
        origin_id=_id(entry.get("originId")),
        kind=TEXT(entry.get("kind")),
        note=_optional(entry, "note", TEXT),
        reused_on=_optional(entry, "reusedOn", DATE),
    )


def _graphql_error(endpoint: str, errors: Any) -> RemoteGraphQLError:
    if not isinstance(errors, list):
        return RemoteGraphQLError(f"{endpoint} answered with malformed `errors`")
    messages, codes = [], set()
    cost: tuple[int, int] | None = None
    for error in errors[:3]:
        if isinstance(error, dict):
            messages.append(str(error.get("message", "?")))
            extensions = error.get("extensions")
            if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
                codes.add(extensions["code"])
                numbers = extensions.get("cost"), extensions.get("maximumCost")
                if extensions["code"] == "QUERY_TOO_COMPLEX" and all(
                    isinstance(n, int) and not isinstance(n, bool) for n in numbers
                ):
                    cost = (int(numbers[0]), int(numbers[1]))  # type: ignore[arg-type]
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    refused = _refused_fields(errors)
    hint = ""
    if any("Cannot query field" in m or "Unknown argument" in m for m in messages):
        hint = "; the remote does not serve the source contract's `changes` field as documented"
    return RemoteGraphQLError(
        f"{endpoint} answered with GraphQL errors: {'; '.join(messages)}{more}{hint}",
        retryable=bool(codes & RETRYABLE_CODES),
        cost=cost,
        refused_fields=refused,
    )


def _refused_fields(errors: list[Any]) -> frozenset[str]:
    """The optional fields a remote's validation refused, when those are all it refused:
    an older remote. Any other refusal is not for us to work around."""
    named: set[str] = set()
    for error in errors:
        message = error.get("message") if isinstance(error, dict) else None
        found = _REFUSED_FIELD.match(message) if isinstance(message, str) else None
        if found is None or found.group(1) not in OPTIONAL_FIELDS:
            return frozenset()
        named.add(found.group(1))
    return frozenset(named)


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    flat = " ".join(response.text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _describe(error: httpx.TransportError) -> str:
    return str(error) or type(error).__name__
