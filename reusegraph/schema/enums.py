"""GraphQL enums: the store's vocabularies, values verbatim (OS2autoproces-compatible).

``strawberry.enum`` registers the store's classes in place, so the same class is used in
SQL filters and in the schema.
"""

from enum import StrEnum

import strawberry

from reusegraph.store.benefits import BenefitDimension
from reusegraph.store.enums import (
    AgreementKind,
    BenefitKind,
    Country,
    Domain,
    Level,
    Phase,
    PopulationBand,
    ProcessType,
    ReuseKind,
    RunPeriod,
    SourceKind,
    Status,
    Visibility,
)
from reusegraph.store.processes import ProcessOrder as ProcessOrderField

strawberry.enum(Country, description="ISO 3166-1 alpha-2 country code.")
strawberry.enum(Phase, description="OS2autoproces phase; RAPID is a quick share without one.")
strawberry.enum(Status)
strawberry.enum(Visibility)
strawberry.enum(ProcessType, description="CHILD is a process; PARENT/GLOBAL_PARENT are umbrellas.")
strawberry.enum(Domain, description="The 15 OS2autoproces subject areas.")
strawberry.enum(Level, description="Five-point assessment, plus NOT_SET.")
strawberry.enum(RunPeriod)
strawberry.enum(ReuseKind)
strawberry.enum(BenefitKind, description="MEASURED (realised) or ESTIMATED; never mixed silently.")
strawberry.enum(AgreementKind)
strawberry.enum(SourceKind)
strawberry.enum(PopulationBand)
strawberry.enum(ProcessOrderField, name="ProcessOrderField")
strawberry.enum(BenefitDimension)


@strawberry.enum
class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum(description="Whether an agreement is in force on a day.")
class AgreementStatus(StrEnum):
    PLANNED = "PLANNED"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"


__all__ = [
    "AgreementKind",
    "AgreementStatus",
    "BenefitDimension",
    "BenefitKind",
    "Country",
    "Domain",
    "Level",
    "OrderDirection",
    "Phase",
    "PopulationBand",
    "ProcessOrderField",
    "ProcessType",
    "ReuseKind",
    "RunPeriod",
    "SourceKind",
    "Status",
    "Visibility",
]
