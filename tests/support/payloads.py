"""Reading mutation answers in tests: the payload, its one user error, or the refusal."""

from typing import Any


def payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The payload of ``field``; fails on any top-level error."""
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


def written(body: dict[str, Any], field: str, record: str) -> dict[str, Any]:
    """The record a successful mutation returns; fails on userErrors."""
    result = payload(body, field)
    assert result["userErrors"] == [], result["userErrors"]
    assert result[record] is not None
    found: dict[str, Any] = result[record]
    return found


def user_error(body: dict[str, Any], field: str, record: str) -> dict[str, Any]:
    """The one userError of a refused write (whose record must be null)."""
    result = payload(body, field)
    assert result[record] is None, result
    assert len(result["userErrors"]) == 1, result["userErrors"]
    error: dict[str, Any] = result["userErrors"][0]
    return error


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The top-level error of a refused call (FORBIDDEN, UNAUTHENTICATED, ...)."""
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return {"code": error["extensions"]["code"], "message": error["message"]}
