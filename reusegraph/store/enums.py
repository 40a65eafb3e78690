"""Vocabularies of the domain model.

Values follow OS2autoproces verbatim (including its spelling, e.g. ``QUATERLY``) so that
its data imports losslessly; the few additions (``RAPID``, reuse kinds, benefit kinds)
are ours.
"""

from enum import StrEnum


class Country(StrEnum):
    DK = "DK"
    NO = "NO"
    SE = "SE"
    FI = "FI"
    IS = "IS"


class Phase(StrEnum):
    IDEA = "IDEA"
    PREANALYSIS = "PREANALYSIS"
    SPECIFICATION = "SPECIFICATION"
    DEVELOPMENT = "DEVELOPMENT"
    IMPLEMENTATION = "IMPLEMENTATION"
    OPERATION = "OPERATION"
    DECOMMISSIONED = "DECOMMISSIONED"
    RAPID = "RAPID"


class Status(StrEnum):
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    INPROGRESS = "INPROGRESS"
    NOT_RATED = "NOT_RATED"
    NOT_RELEVANT = "NOT_RELEVANT"


class Visibility(StrEnum):
    PERSONAL = "PERSONAL"
    MUNICIPALITY = "MUNICIPALITY"
    PUBLIC = "PUBLIC"


class ProcessType(StrEnum):
    """CHILD is a concrete process; PARENT and GLOBAL_PARENT are umbrellas."""

    CHILD = "CHILD"
    PARENT = "PARENT"
    GLOBAL_PARENT = "GLOBAL_PARENT"


class Domain(StrEnum):
    ADMINISTRATION = "ADMINISTRATION"
    EMPLOYMENT = "EMPLOYMENT"
    PROFESSION = "PROFESSION"
    FAMILY = "FAMILY"
    EDUCATION = "EDUCATION"
    DEMOCRACY = "DEMOCRACY"
    ENVIRONMENT = "ENVIRONMENT"
    TECHNIQUE = "TECHNIQUE"
    SOCIAL = "SOCIAL"
    HEALTH = "HEALTH"
    SUSTAINABILITY = "SUSTAINABILITY"
    HR = "HR"
    IT = "IT"
    CULTURE = "CULTURE"
    ECONOMY = "ECONOMY"


class Level(StrEnum):
    VERY_HIGH = "VERY_HIGH"
    HIGH = "HIGH"
    LOW = "LOW"
    VERY_LOW = "VERY_LOW"
    UNKNOWN = "UNKNOWN"
    NOT_SET = "NOT_SET"


class RunPeriod(StrEnum):
    NOT_CHOSEN_YET = "NOT_CHOSEN_YET"
    ONDEMAND = "ONDEMAND"
    ONCE = "ONCE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUATERLY = "QUATERLY"
    YEARLY = "YEARLY"


class ReuseKind(StrEnum):
    WHOLE_SOLUTION = "WHOLE_SOLUTION"
    BUILDING_BLOCKS = "BUILDING_BLOCKS"
    ANALYSIS = "ANALYSIS"
    INSPIRATION = "INSPIRATION"


class BenefitKind(StrEnum):
    """Realised (measured) savings are kept apart from estimates."""

    MEASURED = "MEASURED"
    ESTIMATED = "ESTIMATED"


class AgreementKind(StrEnum):
    FRAMEWORK = "FRAMEWORK"
    CONTRACT = "CONTRACT"


class SourceKind(StrEnum):
    HOSTED = "hosted"
    GRAPHQL = "graphql"
    OS2AUTOPROCES = "os2autoproces"
    FILE = "file"


class RunOutcome(StrEnum):
    """How a sync (or file import) run of a source ended. The first three are what a
    source row keeps as ``last_outcome``; the rest say why no run happened."""

    OK = "ok"
    PARTIAL = "partial"
    """Some records were skipped or dropped; the rest were written."""
    FAILED = "failed"
    BUSY = "busy"
    """Another replica holds the source's lock."""
    CIRCUIT_OPEN = "circuit-open"
    NOT_MIRRORED = "not-mirrored"
    """A hosted or file source: nothing to sync."""
    UNKNOWN = "unknown"
    """No source of that code."""


class PopulationBand(StrEnum):
    BELOW_30000 = "BELOW_30000"
    BELOW_45000 = "BELOW_45000"
    BELOW_60000 = "BELOW_60000"
    BELOW_100000 = "BELOW_100000"
    ABOVE_100000 = "ABOVE_100000"


ASSESSMENT_FIELDS = (
    "level_of_professional_assessment",
    "level_of_change",
    "level_of_structured_information",
    "level_of_uniformity",
    "level_of_digital_information",
    "level_of_quality",
    "level_of_speed",
    "level_of_routine_work_reduction",
    "evaluated_level_of_roi",
)
