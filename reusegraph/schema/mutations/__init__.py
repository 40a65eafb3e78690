"""Mutations: each takes one input, returns a payload with the record and userErrors."""

from strawberry.tools import merge_types

from reusegraph.schema.mutations.agreements import AgreementMutations
from reusegraph.schema.mutations.benefits import BenefitMutations
from reusegraph.schema.mutations.issuers import IssuerMutations
from reusegraph.schema.mutations.meetings import MeetingMutations
from reusegraph.schema.mutations.municipalities import MunicipalityMutations
from reusegraph.schema.mutations.municipality_register import MunicipalityRegisterMutations
from reusegraph.schema.mutations.processes import ProcessMutations
from reusegraph.schema.mutations.sources import SourceMutations
from reusegraph.schema.mutations.trusted_documents import TrustedDocumentMutations
from reusegraph.schema.mutations.vendors import VendorMutations
from reusegraph.schema.mutations.webhooks import WebhookMutations

Mutation: type = merge_types(
    "Mutation",
    (
        ProcessMutations,
        BenefitMutations,
        MunicipalityMutations,
        MunicipalityRegisterMutations,
        VendorMutations,
        AgreementMutations,
        MeetingMutations,
        IssuerMutations,
        SourceMutations,
        TrustedDocumentMutations,
        WebhookMutations,
    ),
)

__all__ = ["Mutation"]
