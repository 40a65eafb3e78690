"""GraphiQL for analysts, opened with the example queries in ``examples/`` as tabs."""

from functools import cache
from importlib import resources

import orjson


@cache
def example_queries() -> list[str]:
    folder = resources.files("reusegraph.api") / "examples"
    files = sorted(
        (f for f in folder.iterdir() if f.name.endswith(".graphql")), key=lambda f: f.name
    )
    return [f.read_text(encoding="utf-8") for f in files]


@cache
def render_graphiql() -> str:
    template = (resources.files("reusegraph.api") / "static" / "graphiql.html").read_text("utf-8")
    tabs = [{"query": query} for query in example_queries()]
    payload = orjson.dumps(tabs).decode().replace("</", "<\\/")
    return template.replace("__DEFAULT_TABS__", payload)
