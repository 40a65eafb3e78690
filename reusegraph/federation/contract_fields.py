"""The source contract's process fields: GraphQL name, our column, and how to read the value.

One table serves the query the client sends, the parsing of the answer and the contract
document, so the three cannot drift apart.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class FieldTypeError(ValueError):
    """A value of the wrong JSON type or format: the remote does not speak the contract."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldTypeError(f"expected a string, got {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(f"expected an integer, got {value!r}")
    return value


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldTypeError(f"expected a number, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FieldTypeError(f"expected a number, got {value!r}") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldTypeError(f"expected true or false, got {value!r}")
    return value


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise FieldTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _datetime(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError:
        raise FieldTypeError(f"expected an ISO 8601 date-time, got {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _month(value: Any) -> date:
    text = _text(value)
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise FieldTypeError(f"expected a month YYYY-MM, got {value!r}") from None


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldTypeError(f"expected a list of strings, got {type(value).__name__}")
    return [_text(item) for item in value]


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldTypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


Reader = Callable[[Any], Any]
TEXT, INT, NUMBER, BOOL, DATE, DATETIME, MONTH, TEXTS, OBJECT = (
    _text,
    _integer,
    _number,
    _boolean,
    _date,
    _datetime,
    _month,
    _texts,
    _object,
)

# GraphQL field -> (process column, reader, required)
PROCESS_FIELDS: dict[str, tuple[str, Reader, bool]] = {
    "municipality": ("municipality_code", TEXT, True),
    "title": ("title", TEXT, True),
    "summary": ("summary", TEXT, False),
    "description": ("description", TEXT, False),
    "processChallenges": ("process_challenges", TEXT, False),
    "solutionRequests": ("solution_requests", TEXT, False),
    "automationDescription": ("automation_description", TEXT, False),
    "technicalImplementationNotes": ("technical_implementation_notes", TEXT, False),
    "organizationalImplementationNotes": ("organizational_implementation_notes", TEXT, False),
    "statusText": ("status_text", TEXT, False),
    "ratingComment": ("rating_comment", TEXT, False),
    "timeSpendComment": ("time_spend_comment", TEXT, False),
    "searchWords": ("search_words", TEXT, False),
    "department": ("department", TEXT, False),
    "domains": ("domains", TEXTS, False),
    "kle": ("kle", TEXT, False),
    "form": ("form", TEXT, False),
    "kla": ("kla", TEXT, False),
    "kCodes": ("k_codes", TEXTS, False),
    "klId": ("kl_id", TEXT, False),
    "sepMep": ("sep_mep", BOOL, False),
    "legalClause": ("legal_clause", TEXT, False),
    "legalClauseLastVerified": ("legal_clause_last_verified", DATE, False),
    "phase": ("phase", TEXT, True),
    "status": ("status", TEXT, False),
    "visibility": ("visibility", TEXT, True),
    "type": ("type", TEXT, False),
    "runPeriod": ("run_period", TEXT, False),
    "runsPerYear": ("runs_per_year", INT, False),
    "minutesPerRun": ("minutes_per_run", NUMBER, False),
    "employeesDoingProcess": ("employees_doing_process", INT, False),
    "automationPercentage": ("automation_percentage", INT, False),
    "developmentHours": ("development_hours", NUMBER, False),
    "targetsCitizens": ("targets_citizens", BOOL, False),
    "targetsCompanies": ("targets_companies", BOOL, False),
    "levelOfProfessionalAssessment": ("level_of_professional_assessment", TEXT, False),
    "levelOfChange": ("level_of_change", TEXT, False),
    "levelOfStructuredInformation": ("level_of_structured_information", TEXT, False),
    "levelOfUniformity": ("level_of_uniformity", TEXT, False),
    "levelOfDigitalInformation": ("level_of_digital_information", TEXT, False),
    "levelOfQuality": ("level_of_quality", TEXT, False),
    "levelOfSpeed": ("level_of_speed", TEXT, False),
    "levelOfRoutineWorkReduction": ("level_of_routine_work_reduction", TEXT, False),
    "evaluatedLevelOfRoi": ("evaluated_level_of_roi", TEXT, False),
    "rating": ("rating", INT, False),
    "putIntoOperation": ("put_into_operation", DATE, False),
    "decommissioned": ("decommissioned", DATE, False),
    "codeRepositoryUrl": ("code_repository_url", TEXT, False),
    "contactName": ("contact_name", TEXT, False),
    "contactEmail": ("contact_email", TEXT, False),
    "otherContactEmail": ("other_contact_email", TEXT, False),
    "internalNotes": ("internal_notes", TEXT, False),
    "esdhReference": ("esdh_reference", TEXT, False),
    "reporter": ("reporter", TEXT, False),
    "owner": ("owner", TEXT, False),
    "coEditors": ("co_editors", TEXTS, False),
    "extras": ("extras", OBJECT, False),
    "createdAt": ("created_at", DATETIME, False),
    "updatedAt": ("updated_at", DATETIME, True),
}

NESTED_SELECTIONS = {
    "vendor": "{ name country orgNumber }",
    "itSystems": "{ code name }",
    "technologies": "{ code name }",
    "benefits": "{ period kind cases hoursSaved moneyAmount currency note }",
    "reusedFrom": "{ originId kind note reusedOn }",
    "links": "{ url label internal }",
}


def selection() -> str:
    """The ``upserts`` selection of the contract query."""
    scalars = " ".join(["id", "url", "umbrellaIds", *PROCESS_FIELDS])
    nested = " ".join(f"{name} {fields}" for name, fields in NESTED_SELECTIONS.items())
    return f"{{ {scalars} {nested} }}"
