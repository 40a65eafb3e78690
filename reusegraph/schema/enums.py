"""GraphQL enums: the store's vocabularies, values verbatim (OS2autoproces-compatible)."""

import strawberry

from reusegraph.store import enums
from reusegraph.store.benefits import BenefitDimension as _BenefitDimension
from reusegraph.store.processes import ProcessOrder as _ProcessOrder

Country = strawberry.enum(enums.Country, description="ISO 3166-1 alpha-2 country code.")
Phase = strawberry.enum(enums.Phase, description="OS2autoproces phase; RAPID is a quick share.")
Status = strawberry.enum(enums.Status)
Visibility = strawberry.enum(enums.Visibility)
ProcessType = strawberry.enum(
    enums.ProcessType, description="CHILD is a process; PARENT/GLOBAL_PARENT are umbrellas."
)
Domain = strawberry.enum(enums.Domain, description="The 15 OS2autoproces subject areas.")
Level = strawberry.enum(enums.Level, description="Five-point assessment, plus NOT_SET.")
RunPeriod = strawberry.enum(enums.RunPeriod)
ReuseKind = strawberry.enum(enums.ReuseKind)
BenefitKind = strawberry.enum(
    enums.BenefitKind, description="MEASURED (realised) or ESTIMATED; never mixed silently."
)
AgreementKind = strawberry.enum(enums.AgreementKind)
SourceKind = strawberry.enum(enums.SourceKind)
PopulationBand = strawberry.enum(enums.PopulationBand)
ProcessOrderField = strawberry.enum(_ProcessOrder, name="ProcessOrderField")
BenefitDimension = strawberry.enum(_BenefitDimension, name="BenefitDimension")


@strawberry.enum
class OrderDirection(enums.StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="Whether an agreement is in force today.")
class AgreementStatus(enums.StrEnum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"
