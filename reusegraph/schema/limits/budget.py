"""The cost limit and the per-caller budget, as one Strawberry extension.

After validation and before execution (so before any SQL of the request runs) the
operation's cost is estimated (``limits.cost``). Above ``max_cost`` it is refused with
``QUERY_TOO_COMPLEX``; otherwise, when a budget is configured, the cost is taken from the
caller's bucket (``store.rate_limits``: one statement, outside the request's read-only
transaction; or ``store.redis_budget``: one script in Redis), and a caller whose bucket
holds less is refused with ``RATE_LIMITED``, which the endpoint answers with HTTP 429
and ``Retry-After``. Every admitted answer says what it cost, as GitHub's and Shopify's
APIs do::

    "extensions": {"cost": {"requested": 51, "actual": 12, "maximum": 50000,
                            "budgetLeft": 199949, "budget": 200000, "window": 60}}

``actual`` counts the objects of the answer, the unit of ``requested``.
"""

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from reusegraph.auth.callers import Network, caller_of, client_address
from reusegraph.schema.core.errors import AppError
from reusegraph.schema.limits.cost import MAX_FIELDS, TooManyFields
from reusegraph.schema.limits.estimates import remembered_estimate
from reusegraph.store.rate_limits import Budget, Charge

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
    budget: Budget | None = None
    """None: no per-caller budget."""
    proxies: tuple[Network, ...] = ()


@dataclass(frozen=True)
class Admission:
    """What one operation was found to cost, and what the caller's budget said."""

    requested: int | None = None
    charge: Charge | None = None
    refusal: AppError | None = None

    def report(
        self, limits: Limits, data: Any = None, *, actual: int | None = None
    ) -> dict[str, Any]:
        """``extensions.cost``: ``actual`` counted in ``data``, or given (the compiled
        path counts its answer in the JSON text)."""
        if self.requested is None:
            return {}
        cost: dict[str, Any] = {"requested": self.requested}
        if data is not None:
            cost["actual"] = count_objects(data)
        elif actual is not None:
            cost["actual"] = actual
        if limits.max_cost:
            cost["maximum"] = limits.max_cost
        if limits.budget is not None and self.charge is not None:
            cost["budgetLeft"] = self.charge.left
            cost["budget"] = limits.budget.capacity
            cost["window"] = limits.budget.window_seconds
        return {"cost": cost}


async def admit(
    limits: Limits,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    caller: Callable[[], str] | None,
) -> Admission:
    """Estimates the operation and charges the caller (``caller`` None: no budget): the one
    admission both read paths, the executor's and the compiled one, go through."""
    try:
        found = remembered_estimate(schema, document, operation_name, variables)
    except TooManyFields:
        return Admission(
            refusal=QueryTooComplex(
                f"This operation expands to more than {MAX_FIELDS} fields; fragments"
                " spread into each other cannot be estimated. Send a smaller document.",
                maximumFields=MAX_FIELDS,
            )
        )
    maximum = limits.max_cost
    if maximum and found.cost > maximum:
        top = ", ".join(f"{key} ({cost})" for key, cost in found.costliest)
        return Admission(
            found.cost,
            refusal=QueryTooComplex(
                f"This operation may cost {found.cost} points, more than the maximum of"
                f" {maximum}: a point is an object the answer can hold, and lists count"
                f" by their `first` (or their documented bound). Costliest: {top}."
                " Ask for fewer items per page, narrow the filter or the groupBy, or split"
                " the operation.",
                cost=found.cost,
                maximumCost=maximum,
                costliest=[{"field": key, "cost": cost} for key, cost in found.costliest],
            ),
        )
    budget = limits.budget
    if budget is None or caller is None:
        return Admission(found.cost)
    charge = await budget.charge(caller(), found.cost)
    if charge is None or charge.admitted:
        return Admission(found.cost, charge)
    return Admission(
        found.cost,
        charge,
        RateLimited(
            f"This caller's budget of {budget.capacity} points per {budget.window_seconds} s"
            f" is spent: this operation needs {max(1, found.cost)} and"
            f" {charge.left} are left. Retry after {charge.retry_after} s.",
            charge.retry_after,
            cost=found.cost,
            budgetLeft=charge.left,
        ),
    )


def caller_from(limits: Limits, request: Any, viewer: Any) -> Callable[[], str]:
    """Whose budget a request spends: the token's subject, or the client's address."""

    def caller() -> str:
        peer = request.client.host if request is not None and request.client else None
        forwarded = request.headers.get("x-forwarded-for") if request is not None else None
        return caller_of(viewer, client_address(peer, forwarded, limits.proxies))

    return caller


class CostLimit(SchemaExtension):
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.admission = Admission()

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.result is None:
            assert context.graphql_document is not None
            app_context = context.context
            caller = None
            if app_context is not None:
                request = getattr(app_context, "request", None)
                caller = caller_from(self.limits, request, app_context.viewer)
            self.admission = await admit(
                self.limits,
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                caller,
            )
            refusal = self.admission.refusal
            if refusal is not None:
                context.result = GraphQLExecutionResult(
                    data=None, errors=[GraphQLError(str(refusal), original_error=refusal)]
                )
        yield

    def get_results(self) -> dict[str, Any]:
        result = self.execution_context.result
        data = result.data if result is not None else None
        return self.admission.report(self.limits, data)


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
