"""The cost limit and the per-caller budget, as one Strawberry extension.

After validation and before execution (so before any SQL of the request runs) the
operation's cost is estimated (``limits.cost``). Above ``max_cost`` it is refused with
``QUERY_TOO_COMPLEX``; otherwise, when a budget is configured, the cost is taken from the
caller's bucket (``store.rate_limits``: one statement, outside the request's read-only
transaction), and a caller whose bucket holds less is refused with ``RATE_LIMITED``,
which the endpoint answers with HTTP 429 and ``Retry-After``. Every admitted answer says
what it cost, as GitHub's and Shopify's APIs do::

    "extensions": {"cost": {"requested": 51, "actual": 12, "maximum": 50000,
                            "budgetLeft": 199949, "budget": 200000, "window": 60}}

``actual`` counts the objects of the answer, the unit of ``requested``.
"""

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from reusegraph.auth.callers import Network, caller_of, client_address
from reusegraph.schema.core.errors import AppError
from reusegraph.schema.limits.cost import MAX_FIELDS, TooManyFields, estimate
from reusegraph.store.rate_limits import Charge, RateBudget

DEFAULT_MAX_COST = 50_000


class QueryTooComplex(AppError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(AppError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int, **extensions: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **extensions)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    max_cost: int = DEFAULT_MAX_COST
    """0: no cost limit (the cost is still reported)."""
    budget: RateBudget | None = None
    """None: no per-caller budget."""
    proxies: tuple[Network, ...] = ()


class CostLimit(SchemaExtension):
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.requested: int | None = None
        self.charge: Charge | None = None

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.result is None:
            refusal = await self._admit()
            if refusal is not None:
                context.result = GraphQLExecutionResult(
                    data=None, errors=[GraphQLError(str(refusal), original_error=refusal)]
                )
        yield

    async def _admit(self) -> AppError | None:
        context = self.execution_context
        assert context.graphql_document is not None
        schema = context.schema._schema
        try:
            found = estimate(
                schema, context.graphql_document, context.operation_name, context.variables
            )
        except TooManyFields:
            return QueryTooComplex(
                f"This operation expands to more than {MAX_FIELDS} fields; fragments"
                " spread into each other cannot be estimated. Send a smaller document.",
                maximumFields=MAX_FIELDS,
            )
        self.requested = found.cost
        maximum = self.limits.max_cost
        if maximum and found.cost > maximum:
            top = ", ".join(f"{key} ({cost})" for key, cost in found.costliest)
            return QueryTooComplex(
                f"This operation may cost {found.cost} points, more than the maximum of"
                f" {maximum}: a point is an object the answer can hold, and lists count"
                f" by their `first` (or their documented bound). Costliest: {top}."
                " Ask for fewer items per page, narrow the filter or the groupBy, or split"
                " the operation.",
                cost=found.cost,
                maximumCost=maximum,
                costliest=[{"field": key, "cost": cost} for key, cost in found.costliest],
            )
        budget = self.limits.budget
        app_context = context.context
        if budget is None or app_context is None:
            return None
        request = getattr(app_context, "request", None)
        peer = request.client.host if request is not None and request.client else None
        forwarded = request.headers.get("x-forwarded-for") if request is not None else None
        address = client_address(peer, forwarded, self.limits.proxies)
        caller = caller_of(app_context.viewer, address)
        self.charge = await budget.charge(app_context.db.engine, caller, found.cost)
        if self.charge.admitted:
            return None
        return RateLimited(
            f"This caller's budget of {budget.capacity} points per {budget.window_seconds} s"
            f" is spent: this operation needs {max(1, found.cost)} and"
            f" {self.charge.left} are left. Retry after {self.charge.retry_after} s.",
            self.charge.retry_after,
            cost=found.cost,
            budgetLeft=self.charge.left,
        )

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        cost: dict[str, Any] = {"requested": self.requested}
        result = self.execution_context.result
        if result is not None and result.data is not None:
            cost["actual"] = count_objects(result.data)
        if self.limits.max_cost:
            cost["maximum"] = self.limits.max_cost
        budget = self.limits.budget
        if budget is not None and self.charge is not None:
            cost["budgetLeft"] = self.charge.left
            cost["budget"] = budget.capacity
            cost["window"] = budget.window_seconds
        return {"cost": cost}


def count_objects(data: Any) -> int:
    """Objects in an answer below its root: what ``requested`` estimated at most."""
    count = 0
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend(value.values())
            count += 1
        elif isinstance(value, list):
            stack.extend(value)
    return max(0, count - 1)


def refusal_status(errors: Iterable[GraphQLError] | None) -> tuple[int, dict[str, str]] | None:
    """HTTP status and headers for a request refused by the budget: 429 with Retry-After."""
    for error in errors or ():
        original = error.original_error
        if isinstance(original, RateLimited):
            return 429, {"Retry-After": str(original.retry_after)}
    return None
