"""GraphiQL for analysts, opened with the example queries in ``examples/`` as tabs.

The page, its script (``static/graphiql.js``), GraphiQL, the explorer plugin and React
all come from this server (``api/pages.py``). With ``schema`` (production mode, where
introspection is off) GraphiQL is given the published schema instead of asking for it.
"""

from functools import cache
from importlib import resources
from typing import Any

from reusegraph.api.pages import Page, render_page

__all__ = ["Page", "example_queries", "render_graphiql"]


@cache
def example_queries() -> list[str]:
    folder = resources.files("reusegraph.api") / "examples"
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".graphql")), key=lambda f: f.name
    )
    return [f.read_text(encoding="utf-8") for f in files]


def render_graphiql(schema: dict[str, Any] | None = None) -> Page:
    """``schema``: an introspection result to give GraphiQL (else it introspects)."""
    tabs = [{"query": query} for query in example_queries()]
    return render_page("graphiql.html", {"defaultTabs": tabs, "schema": schema})
