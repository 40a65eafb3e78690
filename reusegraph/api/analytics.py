"""The analyst page (``/analytics``) and the start page (``/``) that links it with GraphiQL.

The page is a client of the GraphQL endpoint like GraphiQL: the same session cookie, so
the same login and the same visibility. Its queries are files in ``analytics_queries/``,
handed to the page as data, so "show the query" opens in GraphiQL exactly what drew the
plot, and a test can run each one without a browser.
"""

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route

from reusegraph.api.pages import STATIC_PREFIX, Page, render_page, static_files


@cache
def analytics_queries() -> dict[str, str]:
    folder = resources.files("reusegraph.api") / "analytics_queries"
    return {
        f.name.removesuffix(".graphql"): f.read_text(encoding="utf-8")
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".graphql")
    }


@cache
def _analytics_page() -> Page:
    return render_page("analytics.html", {"queries": analytics_queries()})


@cache
def _home_page() -> Page:
    return render_page("home.html", {})


async def analytics(_: Request) -> HTMLResponse:
    page = _analytics_page()
    return HTMLResponse(page.html, headers=page.headers)


async def home(_: Request) -> HTMLResponse:
    page = _home_page()
    return HTMLResponse(page.html, headers=page.headers)


def page_routes() -> list[BaseRoute]:
    """``/``, ``/analytics`` and the static files every page loads."""
    return [
        Route("/", home),
        Route("/analytics", analytics),
        Mount(STATIC_PREFIX, static_files(), name="static"),
    ]
