"""ORM models, one module per aggregate. ORM is for writes; read paths use Core selects."""

from reusegraph.store.models.access import (
    BrowserSession,
    MutationReceipt,
    RateBudget,
    TrustedDocument,
    TrustedIssuer,
    ViewerKeyRow,
)
from reusegraph.store.models.agreements import (
    AgreementDocument,
    FrameworkAgreement,
    agreement_party,
    agreement_vendor,
)
from reusegraph.store.models.audit import AuditEntry
from reusegraph.store.models.benefits import BenefitRecord
from reusegraph.store.models.caching import DataChange, DataVersion, PersistedQuery
from reusegraph.store.models.catalog import ItSystem, Technology
from reusegraph.store.models.meetings import (
    MeetingPresentation,
    NetworkMeeting,
    meeting_it_system,
    meeting_participant,
    meeting_process,
)
from reusegraph.store.models.municipalities import (
    Municipality,
    municipality_it_system,
    municipality_technology,
)
from reusegraph.store.models.processes import (
    Process,
    ProcessAttachment,
    ProcessLink,
    process_it_system,
    process_technology,
    process_umbrella,
)
from reusegraph.store.models.reuse import ReuseLink
from reusegraph.store.models.rollups import ProcessRollup
from reusegraph.store.models.sources import Source, source_owner
from reusegraph.store.models.umbrellas import PendingUmbrella
from reusegraph.store.models.vendors import Vendor
from reusegraph.store.models.webhooks import (
    WebhookAgreementNotice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookScan,
    WebhookSourceEpisode,
    WebhookSubscription,
)

__all__ = [
    "AgreementDocument",
    "AuditEntry",
    "BenefitRecord",
    "BrowserSession",
    "DataChange",
    "DataVersion",
    "FrameworkAgreement",
    "ItSystem",
    "MeetingPresentation",
    "Municipality",
    "MutationReceipt",
    "NetworkMeeting",
    "PendingUmbrella",
    "PersistedQuery",
    "Process",
    "ProcessAttachment",
    "ProcessLink",
    "ProcessRollup",
    "RateBudget",
    "ReuseLink",
    "Source",
    "Technology",
    "TrustedDocument",
    "TrustedIssuer",
    "Vendor",
    "ViewerKeyRow",
    "WebhookAgreementNotice",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookScan",
    "WebhookSourceEpisode",
    "WebhookSubscription",
    "agreement_party",
    "agreement_vendor",
    "meeting_it_system",
    "meeting_participant",
    "meeting_process",
    "municipality_it_system",
    "municipality_technology",
    "process_it_system",
    "process_technology",
    "process_umbrella",
    "source_owner",
]
