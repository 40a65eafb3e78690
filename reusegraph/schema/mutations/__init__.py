"""Mutations: each takes one input, returns a payload with the record and userErrors."""

from strawberry.tools import merge_types

from reusegraph.schema.mutations.benefits import BenefitMutations
from reusegraph.schema.mutations.processes import ProcessMutations

Mutation: type = merge_types("Mutation", (ProcessMutations, BenefitMutations))

__all__ = ["Mutation"]
