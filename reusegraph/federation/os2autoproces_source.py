"""An OS2autoproces instance as a source: its REST listing, page by page, as mirror records.

OS2autoproces has no change feed, so every run lists everything. The cursor remembers
where a listing stands (the next page's URL) and when it began, so a run that breaks
off resumes at the page it stopped at; when a listing completes, records it no longer
contains are deleted (the tombstones a full listing implies).
"""

import json
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from reusegraph.federation import os2autoproces
from reusegraph.federation.errors import (
    RemoteAuthError,
    RemoteFormatError,
    RemoteHttpError,
    RemoteUnreachable,
    SyncError,
)
from reusegraph.federation.os2autoproces.municipalities import MunicipalityDirectory
from reusegraph.store.mirror_records import CatalogItem, LinkItem, MirrorRecord, VendorRef
from reusegraph.store.official_municipalities import official_municipalities
from reusegraph.store.umbrellas import UMBRELLA_TYPES


@dataclass(frozen=True)
class ScanCursor:
    started: datetime
    next_url: str | None = None

    def dump(self) -> str:
        return json.dumps({"scan": self.started.isoformat(), "next": self.next_url})

    @classmethod
    def load(cls, raw: str | None) -> "ScanCursor":
        if raw:
            try:
                state = json.loads(raw)
                return cls(datetime.fromisoformat(state["scan"]), state.get("next"))
            except (ValueError, KeyError, TypeError):
                pass  # a cursor of another kind: start a fresh listing
        return cls(datetime.now(UTC))


@dataclass
class ListingPage:
    records: list[MirrorRecord]
    next_url: str | None


def owner_directory(
    names: Mapping[str, str] | None = None, org_numbers: Mapping[str, str] | None = None
) -> MunicipalityDirectory:
    """Owners by CVR or name: the 98 municipalities OS2autoproces knows, the Danish regions
    of the official lists and the Danish ones registered here (code -> name, code -> CVR:
    an authority an admin registered), the same for the REST listing and the Excel export."""
    listed = [m for m in official_municipalities() if m.country == "DK" and m.valid_to is None]
    by_cvr = {m.org_number: m.code for m in listed if m.org_number}
    by_name = {m.name: m.code for m in listed}
    by_cvr |= {cvr: code for code, cvr in (org_numbers or {}).items() if code.startswith("DK-")}
    by_name |= {name: code for code, name in (names or {}).items() if code.startswith("DK-")}
    return MunicipalityDirectory(extra_by_cvr=by_cvr, extra_by_name=by_name)


async def listing(
    endpoint: str,
    api_key: str,
    *,
    client: httpx.AsyncClient,
    start_url: str | None,
    page_size: int,
    request_timeout: float,
    report: os2autoproces.MappingReport | None = None,
    directory: MunicipalityDirectory | None = None,
) -> AsyncGenerator[ListingPage]:
    pages = os2autoproces.fetch_pages(
        endpoint,
        api_key,
        client=client,
        directory=directory or owner_directory(),
        report=report,
        page_size=page_size,
        start_url=start_url,
        request_timeout=httpx.Timeout(request_timeout, connect=min(request_timeout, 5.0)),
    )
    try:
        async for page in pages:
            yield ListingPage([mirror_record(r) for r in page.records], page.next_url)
    except os2autoproces.Os2autoprocesError as error:
        raise sync_error(error) from None


def mirror_record(record: os2autoproces.MappedProcess) -> MirrorRecord:
    values: dict[str, Any] = dict(record.row)
    source_id = values.pop("source_id", None) or ""
    source_url = values.pop("source_url", None)
    return MirrorRecord(
        source_id=str(source_id),
        values=values,
        source_url=source_url,
        vendor=VendorRef(record.vendor_name) if record.vendor_name else None,
        it_systems=[CatalogItem(c.code, c.name, c.supplier) for c in record.it_systems],
        technologies=[CatalogItem(c.code, c.name, c.supplier) for c in record.technologies],
        links=[LinkItem(url=link.url, internal=link.internal) for link in record.links],
        # OS2autoproces lists an umbrella's ``children``; other records say nothing.
        umbrella_members=list(record.umbrella_children)
        if values.get("type") in UMBRELLA_TYPES
        else None,
        refused=None
        if record.storable
        else "; ".join(f"{p.field} {p.value!r}: {p.message}" for p in record.problems),
    )


def sync_error(error: os2autoproces.Os2autoprocesError) -> SyncError:
    message = str(error)
    if isinstance(error, os2autoproces.AuthenticationFailed):
        return RemoteAuthError(message, error.status)
    if isinstance(error, os2autoproces.SourceHttpError):
        return RemoteHttpError(message, error.status)
    if isinstance(error, os2autoproces.SourceUnreachable):
        return RemoteUnreachable(message)
    return RemoteFormatError(message)
