"""GraphiQL for analysts, opened with the example queries in ``examples/`` as tabs.

The page comes with its own Content-Security-Policy: scripts and styles only from the
exact addresses the page names (``static/graphiql.html``: GraphiQL and React from unpkg,
until issue 14 serves them from here) and its own inline blocks by hash, requests only to
this server, and no framing. With ``schema`` (production mode, where introspection is
off) GraphiQL is given the published schema instead of asking for it.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

_SCRIPT_SOURCES = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"')
_STYLE_SOURCES = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"')
_INLINE_SCRIPTS = re.compile(r"<script>(.*?)</script>", re.S)
_INLINE_STYLES = re.compile(r"<style>(.*?)</style>", re.S)


@dataclass(frozen=True)
class Page:
    html: str
    headers: dict[str, str]


@cache
def example_queries() -> list[str]:
    folder = resources.files("reusegraph.api") / "examples"
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".graphql")), key=lambda f: f.name
    )
    return [f.read_text(encoding="utf-8") for f in files]


def _embedded(value: Any) -> str:
    """JSON that cannot close the script element it sits in."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def _hash(block: str) -> str:
    digest = hashlib.sha256(block.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(html: str) -> str:
    scripts = [*_SCRIPT_SOURCES.findall(html), *map(_hash, _INLINE_SCRIPTS.findall(html))]
    styles = [*_STYLE_SOURCES.findall(html), *map(_hash, _INLINE_STYLES.findall(html))]
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(scripts)}",
            f"style-src {' '.join(styles)}",
            "font-src data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def render_graphiql(schema: dict[str, Any] | None = None) -> Page:
    """``schema``: an introspection result to give GraphiQL (else it introspects)."""
    template = (resources.files("reusegraph.api") / "static" / "graphiql.html").read_text("utf-8")
    tabs = [{"query": query} for query in example_queries()]
    html = template.replace("__DEFAULT_TABS__", _embedded(tabs)).replace(
        "__SCHEMA__", _embedded(schema) if schema is not None else "undefined"
    )
    return Page(
        html,
        {
            "Content-Security-Policy": content_security_policy(html),
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        },
    )
