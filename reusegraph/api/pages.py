"""The server's HTML pages (GraphiQL, the analyst page) and the one policy they all carry.

Everything a page loads comes from this server (``static/``, vendored libraries under
``static/vendor/``, refreshed by ``scripts/refresh_browser_assets.py``), so a browser
with no route to public CDNs still works and no analyst's address reaches a third party.
A page's scripts are files, never inline: what the server hands a page (example tabs, a
schema) is a JSON data block, which a browser does not run, so the policy can say
``script-src 'self'`` with no hashes and no exceptions.
"""

from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from starlette.staticfiles import StaticFiles

PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
STATIC_PREFIX = "/static"


@dataclass(frozen=True)
class Page:
    html: str
    headers: dict[str, str]


def _embedded(value: Any) -> str:
    """JSON that cannot close the script element it sits in."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def render_page(template: str, data: dict[str, Any]) -> Page:
    """``template`` (a file in ``static/``) with ``data`` as its ``__PAGE_DATA__`` block."""
    source = (resources.files("reusegraph.api") / "static" / template).read_text("utf-8")
    html = source.replace("__PAGE_DATA__", _embedded(data))
    return Page(
        html,
        {
            "Content-Security-Policy": PAGE_POLICY,
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        },
    )


def static_files() -> StaticFiles:
    """The package's ``static/`` folder (scripts, styles, vendored libraries)."""
    return StaticFiles(packages=[("reusegraph.api", "static")])
