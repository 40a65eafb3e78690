"""The GraphQL schema (Strawberry): types, queries, DataLoaders, limits.

Printed as an Apollo Federation v2.9 subgraph (the newest version both Apollo's and The
Guild's composition accept), so the gateway can also sit behind a federation router.
"""

from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, specified_rules
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from reusegraph.schema.agreements import FrameworkAgreement
from reusegraph.schema.core.scalars import SCALARS
from reusegraph.schema.limits.budget import CostLimit, Limits
from reusegraph.schema.limits.shape import alias_limit, depth_limit
from reusegraph.schema.meetings import NetworkMeeting
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.mutations import Mutation
from reusegraph.schema.processes import Process
from reusegraph.schema.root import Query
from reusegraph.schema.subscriptions import Subscription
from reusegraph.schema.vendors import Vendor

FEDERATION_VERSION = "2.9"


@dataclass(frozen=True)
class DocumentChecks:
    """What the executor checks before execution, for the compiled path to check alike."""

    rules: list[type[ASTValidationRule]]
    max_tokens: int


class Schema(strawberry.federation.Schema):
    checks: DocumentChecks

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are not server problems; unexpected ones are logged by the endpoint."""


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    cost_limits: Limits | None = None,
) -> Schema:
    """``cost_limits``: the cost limit and the per-caller budget (default: the cost limit)."""
    chosen = cost_limits or Limits()
    # Each call makes new rule classes, and ValidationCache keys on the rule classes:
    # build them once, or the cache never hits (measured in bench/).
    limits: list[type[ASTValidationRule]] = [depth_limit(max_depth), alias_limit(max_aliases)]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Municipality, Process, Vendor, FrameworkAgreement, NetworkMeeting],
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        config=StrawberryConfig(scalar_map=dict(SCALARS)),
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: CostLimit(chosen),
        ],
    )
    schema.checks = DocumentChecks(rules=[*specified_rules, *limits], max_tokens=max_tokens)
    return schema
