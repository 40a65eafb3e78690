"""Read an OS2autoproces instance over its REST API (Spring Data REST, HAL JSON).

Authentication is the one Danish municipalities use for machine access: the
municipality's API key is exchanged at ``POST /xapi/auth`` (header ``ApiKey``) for a
``SESSION`` cookie, sent by hand because it is marked ``Secure`` and a cookie jar would
drop it on plain http. An expired session answers ``/api/**`` with a 302 to the SAML
login, never a 401, so a 302 means "log in again" (once), and redirects are not followed.

Processes are paged with ``projection=extended`` (relations inlined) and ``sort=id,asc``
(stable across pages), following ``_links.next`` until it is absent. Links must stay on
the endpoint's origin: the session cookie is never sent anywhere else.
"""

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx

from reusegraph.federation.os2autoproces.errors import (
    AuthenticationFailed,
    SourceFormatError,
    SourceHttpError,
    SourceUnreachable,
)
from reusegraph.federation.os2autoproces.mapping import map_process
from reusegraph.federation.os2autoproces.municipalities import MunicipalityDirectory
from reusegraph.federation.os2autoproces.records import MappedProcess
from reusegraph.federation.os2autoproces.report import MappingReport

DEFAULT_PAGE_SIZE = 100
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Page:
    records: list[MappedProcess]
    number: int
    total_pages: int | None
    next_url: str | None
    """Where the next page is: a resumable cursor for the sync engine."""


class _Session:
    def __init__(
        self, client: httpx.AsyncClient, endpoint: str, api_key: str, timeout: httpx.Timeout
    ) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")
        self.origin = httpx.URL(self.endpoint).copy_with(path="/", query=None, fragment=None)
        self.api_key = api_key
        self.timeout = timeout
        self.cookie: str | None = None

    async def login(self) -> None:
        url = f"{self.endpoint}/xapi/auth"
        response = await self._send("POST", url, headers={"ApiKey": self.api_key})
        if response.status_code in (401, 403):
            raise AuthenticationFailed(
                f"OS2autoproces at {self.endpoint} refused the API key "
                f"({response.status_code}: {_snippet(response.text)}); check the key the "
                "municipality got from Digital Identity",
                url=url,
                status=response.status_code,
            )
        _raise_for_status(response, url, "exchange the API key for a session")
        cookie = SimpleCookie()
        for header in response.headers.get_list("set-cookie"):
            cookie.load(header)
        if "SESSION" not in cookie:
            raise SourceFormatError(
                f"{url} accepted the API key but set no SESSION cookie", url=url
            )
        self.cookie = cookie["SESSION"].value

    async def get(self, url: str, *, stream: bool = False) -> httpx.Response:
        """GET with the session; one fresh login if the session has expired (302)."""
        self._check_origin(url)
        if self.cookie is None:
            await self.login()
        for attempt in (1, 2):
            response = await self._send("GET", url, stream=stream)
            if response.status_code not in (301, 302, 303, 307, 401):
                break
            await response.aclose()
            if attempt == 2:
                raise AuthenticationFailed(
                    f"{url} still sends us to the login page ({response.status_code}) after"
                    " a fresh login with the API key",
                    url=url,
                    status=response.status_code,
                )
            await self.login()
        if response.is_error:
            await response.aread()
        _raise_for_status(response, url, "read it")
        return response

    async def _send(
        self, method: str, url: str, *, headers: Mapping[str, str] = {}, stream: bool = False
    ) -> httpx.Response:
        all_headers = {"Accept": "application/hal+json, application/json", **headers}
        if self.cookie is not None:
            all_headers["Cookie"] = f"SESSION={self.cookie}"
        request = self.client.build_request(method, url, headers=all_headers, timeout=self.timeout)
        try:
            return await self.client.send(request, stream=stream, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise SourceUnreachable(
                f"OS2autoproces at {url} did not answer in time ({type(exc).__name__})", url=url
            ) from exc
        except httpx.TransportError as exc:
            raise SourceUnreachable(f"cannot reach OS2autoproces at {url}: {exc}", url=url) from exc

    def _check_origin(self, url: str) -> None:
        target = httpx.URL(url).copy_with(path="/", query=None, fragment=None)
        if target != self.origin:
            raise SourceFormatError(
                f"OS2autoproces at {self.endpoint} linked to {url}, another server; "
                "the session is only sent to its own origin",
                url=url,
            )


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _raise_for_status(response: httpx.Response, url: str, doing: str) -> None:
    if response.is_success:
        return
    raise SourceHttpError(
        f"OS2autoproces at {url} answered {response.status_code} when asked to {doing}: "
        f"{_snippet(response.text)}",
        url=url,
        status=response.status_code,
    )


def _page_items(body: Any, url: str) -> tuple[list[Mapping[str, Any]], int, int | None, str | None]:
    """Check the Spring Data REST page shape; say exactly what is off if it is not."""
    expected = 'a HAL page {"_embedded": {"processes": [...]}, "_links": {...}, "page": {...}}'
    if not isinstance(body, dict):
        raise SourceFormatError(f"{url}: expected {expected}, got {type(body).__name__}", url=url)
    page = body.get("page")
    if not isinstance(page, dict) or not isinstance(page.get("number"), int):
        raise SourceFormatError(f"{url}: expected {expected}; 'page.number' is missing", url=url)
    embedded = body.get("_embedded", {})
    items = embedded.get("processes") if isinstance(embedded, dict) else None
    if not isinstance(items, list):
        keys = sorted(embedded) if isinstance(embedded, dict) else type(embedded).__name__
        raise SourceFormatError(f"{url}: expected {expected}; '_embedded' has {keys}", url=url)
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise SourceFormatError(
                f"{url}: _embedded.processes[{index}] is not a process object with an id",
                url=url,
            )
    links = body.get("_links", {})
    next_link = links.get("next") if isinstance(links, dict) else None
    next_url = next_link.get("href") if isinstance(next_link, dict) else None
    if next_link is not None and not isinstance(next_url, str):
        raise SourceFormatError(f"{url}: _links.next has no href", url=url)
    total = page.get("totalPages")
    return items, page["number"], total if isinstance(total, int) else None, next_url


async def fetch_pages(
    endpoint: str,
    api_key: str,
    *,
    client: httpx.AsyncClient,
    directory: MunicipalityDirectory | None = None,
    report: MappingReport | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    start_url: str | None = None,
    request_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> AsyncIterator[Page]:
    """Every process the key may read, page by page; ``start_url`` resumes at a page."""
    session = _Session(client, endpoint, api_key, request_timeout)
    directory = directory or MunicipalityDirectory()
    report = report if report is not None else MappingReport()
    details_url = f"{session.origin}details/{{id}}"
    url: str | None = start_url or (
        f"{session.endpoint}/api/processes?projection=extended&sort=id,asc&page=0&size={page_size}"
    )
    seen: set[str] = set()
    while url is not None:
        if url in seen:
            raise SourceFormatError(f"paging loops: {url} was already read", url=url)
        seen.add(url)
        response = await session.get(url)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            content_type = response.headers.get("content-type", "no content type")
            raise SourceFormatError(
                f"{url} did not return JSON ({content_type}): {_snippet(response.text)}", url=url
            ) from exc
        items, number, total, next_url = _page_items(body, url)
        records = [
            map_process(item, directory=directory, details_url=details_url, report=report)
            for item in items
        ]
        yield Page(records, number, total, next_url)
        url = next_url


async def fetch_processes(
    endpoint: str,
    api_key: str,
    *,
    client: httpx.AsyncClient,
    directory: MunicipalityDirectory | None = None,
    report: MappingReport | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    request_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> AsyncIterator[MappedProcess]:
    pages = fetch_pages(
        endpoint,
        api_key,
        client=client,
        directory=directory,
        report=report,
        page_size=page_size,
        request_timeout=request_timeout,
    )
    async for page in pages:
        for record in page.records:
            yield record


async def download_export(
    endpoint: str,
    api_key: str,
    destination: Path,
    *,
    client: httpx.AsyncClient,
    params: Mapping[str, str] | None = None,
    request_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> Path:
    """Save ``GET /api/excel`` to ``destination``, streamed.

    ``type=CHILD`` by default, as the web UI asks: the workbook cannot tell umbrellas from
    processes, so asking only for processes keeps ``read_export``'s assumption true.
    """
    session = _Session(client, endpoint, api_key, request_timeout)
    query = httpx.QueryParams(params if params is not None else {"type": "CHILD"})
    url = str(httpx.URL(f"{session.endpoint}/api/excel", params=query))
    response = await session.get(url, stream=True)
    try:
        with destination.open("wb") as out:
            first = True
            async for chunk in response.aiter_bytes():
                if first and not chunk.startswith(XLSX_MAGIC):
                    raise SourceFormatError(
                        f"{url} did not return an xlsx workbook "
                        f"({response.headers.get('content-type', 'no content type')})",
                        url=url,
                    )
                first = False
                out.write(chunk)
    except httpx.TransportError as exc:
        raise SourceUnreachable(f"the download from {url} broke off: {exc}", url=url) from exc
    finally:
        await response.aclose()
    return destination
