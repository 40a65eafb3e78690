"""Relay clients page backwards with ``last``/``before`` on every connection.

Over the demo data: walking a connection backwards from its end, two at a time, meets the
same items as walking it forwards, in the same order, and pageInfo says where the ends are.
"""

from typing import Any

import pytest

from tests.support.http import GraphQLClient

CONNECTIONS = {
    "municipalities": "code",
    "processes": "id",
    "vendors": "id",
    "frameworkAgreements": "id",
    "networkMeetings": "id",
}

PAGE = """query ($first: Int, $after: String, $last: Int, $before: String) {
  %s(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { %s } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _page(client: GraphQLClient, name: str, **arguments: Any) -> dict[str, Any]:
    data = await client.data(PAGE % (name, CONNECTIONS[name]), arguments)
    page: dict[str, Any] = data[name]
    return page


def _keys(page: dict[str, Any], name: str) -> list[str]:
    return [edge["node"][CONNECTIONS[name]] for edge in page["edges"]]


@pytest.mark.parametrize("name", list(CONNECTIONS))
async def test_backwards_meets_what_forwards_meets(demo_api: GraphQLClient, name: str) -> None:
    forwards: list[str] = []
    after = None
    while True:
        page = await _page(demo_api, name, first=2, after=after)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        forwards += _keys(page, name)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(forwards) >= 3, f"the demo data needs more {name} for this test"

    backwards: list[str] = []
    before = None
    pages = 0
    while True:
        page = await _page(demo_api, name, last=2, before=before)
        info = page["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        assert len(page["edges"]) == 2 or not info["hasPreviousPage"]
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        backwards = _keys(page, name) + backwards
        pages += 1
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert backwards == forwards
    assert pages == (len(forwards) + 1) // 2


async def test_a_window_between_two_cursors(demo_api: GraphQLClient) -> None:
    everything = await _page(demo_api, "processes", first=6)
    edges = everything["edges"]
    keys = [edge["node"]["id"] for edge in edges]
    after, before = edges[0]["cursor"], edges[5]["cursor"]

    forwards = await _page(demo_api, "processes", first=10, after=after, before=before)
    assert _keys(forwards, "processes") == keys[1:5]
    assert forwards["pageInfo"]["hasNextPage"] is False

    backwards = await _page(demo_api, "processes", last=2, after=after, before=before)
    assert _keys(backwards, "processes") == keys[3:5]
    assert backwards["pageInfo"]["hasPreviousPage"] is True
    assert backwards["pageInfo"]["hasNextPage"] is True


async def test_first_and_last_together_are_refused(demo_api: GraphQLClient) -> None:
    error = await demo_api.error("{ vendors(first: 2, last: 2) { nodes { id } } }")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not both" in error["message"]


@pytest.mark.parametrize("last", [-1, 501])
async def test_last_out_of_range_is_refused(demo_api: GraphQLClient, last: int) -> None:
    error = await demo_api.error(
        "query ($l: Int) { processes(last: $l) { nodes { id } } }", {"l": last}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "last"


async def test_a_bad_before_cursor_is_the_callers_error(demo_api: GraphQLClient) -> None:
    error = await demo_api.error(
        '{ municipalities(last: 2, before: "not-a-cursor") { nodes { code } } }'
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "before"
    assert "`before`" in error["message"]


async def test_a_before_cursor_of_another_order_is_refused(demo_api: GraphQLClient) -> None:
    page = await demo_api.data(
        "{ processes(first: 1, orderBy: {field: TITLE, direction: ASC}) { pageInfo { endCursor } } }"
    )
    cursor = page["processes"]["pageInfo"]["endCursor"]
    error = await demo_api.error(
        "query ($b: String) { processes(last: 1, before: $b) { nodes { id } } }", {"b": cursor}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "before"
