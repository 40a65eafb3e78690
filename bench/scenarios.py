"""The measured scenarios: a GraphQL query for reusegraph and the floor's endpoint for it."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

QUERIES = Path(__file__).with_name("queries")


@dataclass(frozen=True)
class Scenario:
    key: str
    """Names the query file, the floor's path and the rows of the results."""
    label: str

    @property
    def query_file(self) -> Path:
        return QUERIES / f"{self.key}.graphql"

    @property
    def floor_path(self) -> str:
        return f"/{self.key}"

    def body(self) -> bytes:
        return orjson.dumps({"query": self.query_file.read_text()})


SCENARIOS = (
    Scenario(
        "processes_benefits",
        "(a) 100 processes + municipality + IT systems + 24 benefit records (objects)",
    ),
    Scenario(
        "processes_series",
        "(a') the same, benefits as a compact benefitSeries (parallel lists)",
    ),
    Scenario("search", "(b) full-text search 'faktura', country DK, phase OPERATION, first 50"),
    Scenario("benefit_summary", "(c) benefitSummary by municipality and year (MEASURED)"),
)


@dataclass(frozen=True)
class Shape:
    """How big an answer is: JSON objects, leaf values, bytes."""

    objects: int
    leaves: int
    json_bytes: int


def shape(data: Any, json_bytes: int) -> Shape:
    objects = leaves = 0
    todo: list[Any] = [data]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            objects += 1
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        else:
            leaves += 1
    return Shape(objects, leaves, json_bytes)


def first_difference(left: Any, right: Any, path: str = "data") -> str | None:
    """The path of the first place two JSON values differ, or None if they are equal."""
    if type(left) is not type(right):
        return f"{path}: {type(left).__name__} vs {type(right).__name__}"
    if isinstance(left, dict):
        if left.keys() != right.keys():
            return f"{path}: keys {sorted(left)} vs {sorted(right)}"
        for key in left:
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items vs {len(right)}"
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} vs {right!r}"
