"""The fields an editor may set on a process, checked before anything is written.

One input class serves create (``ProcessCreateInput``) and update (``ProcessPatch``,
every field ``Maybe``: absent leaves it, null clears it). Checks name the field and say
what is allowed; the database constraints behind them stay as the last line.
"""

import re
from datetime import date
from typing import Any

import strawberry

from reusegraph.schema.enums import Domain, Level, Phase, RunPeriod, Status, Visibility
from reusegraph.store.models.processes import FORM_PATTERN, KLA_PATTERN, KLE_PATTERN
from reusegraph.store.write_errors import FieldError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")


@strawberry.input(description="The assessment levels of OS2autoproces; unset ones stay NOT_SET.")
class AssessmentInput:
    level_of_professional_assessment: Level | None = None
    level_of_change: Level | None = None
    level_of_structured_information: Level | None = None
    level_of_uniformity: Level | None = None
    level_of_digital_information: Level | None = None
    level_of_quality: Level | None = None
    level_of_speed: Level | None = None
    level_of_routine_work_reduction: Level | None = None
    evaluated_level_of_roi: Level | None = None
    rating: int | None = strawberry.field(default=None, description="0-3.")


@strawberry.input
class ProcessPatch:
    title: strawberry.Maybe[str]
    summary: strawberry.Maybe[str | None]
    description: strawberry.Maybe[str | None]
    phase: strawberry.Maybe[Phase]
    status: strawberry.Maybe[Status | None]
    visibility: strawberry.Maybe[Visibility]
    domains: strawberry.Maybe[list[Domain]]
    kle: strawberry.Maybe[str | None]
    form: strawberry.Maybe[str | None]
    kla: strawberry.Maybe[str | None]
    k_codes: strawberry.Maybe[list[str]]
    run_period: strawberry.Maybe[RunPeriod | None]
    runs_per_year: strawberry.Maybe[int | None]
    minutes_per_run: strawberry.Maybe[float | None]
    employees_doing_process: strawberry.Maybe[int | None]
    automation_percentage: strawberry.Maybe[int | None]
    development_hours: strawberry.Maybe[float | None]
    assessment: strawberry.Maybe[AssessmentInput]
    it_systems: strawberry.Maybe[list[str]]
    technologies: strawberry.Maybe[list[str]]
    vendor_id: strawberry.Maybe[strawberry.ID | None]
    agreement_id: strawberry.Maybe[strawberry.ID | None]
    put_into_operation: strawberry.Maybe[date | None]
    code_repository_url: strawberry.Maybe[str | None]
    contact_name: strawberry.Maybe[str | None]
    contact_email: strawberry.Maybe[str | None]
    internal_notes: strawberry.Maybe[str | None]
    case_reference: strawberry.Maybe[str | None]
    owner: strawberry.Maybe[str | None]
    co_editors: strawberry.Maybe[list[str]]


# input field -> (column, maximum length)
_TEXT = {
    "title": ("title", 255),
    "summary": ("summary", 1000),
    "description": ("description", 20000),
    "contact_name": ("contact_name", 255),
    "internal_notes": ("internal_notes", 20000),
    "case_reference": ("esdh_reference", 300),
    "owner": ("owner", 255),
}
_CODES = {
    "kle": (KLE_PATTERN, "02.34.02"),
    "form": (FORM_PATTERN, "02.34.02.01"),
    "kla": (KLA_PATTERN, "02.34.02.01"),
}
_RANGES = {
    "runs_per_year": (0, 10_000_000),
    "minutes_per_run": (0, 100_000),
    "employees_doing_process": (0, 100_000),
    "automation_percentage": (0, 100),
    "development_hours": (0, 1_000_000),
}
_ENUMS = ("phase", "status", "visibility", "run_period")
_AS_IS = ("put_into_operation",)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def columns_of(
    fields: dict[str, Any], path: tuple[str, ...]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Input field values (already unwrapped from Maybe) to process columns, or errors."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []

    def error(field: str, message: str, code: str = "INVALID") -> None:
        errors.append(FieldError(code, message, (*path, camel(field))))

    for field, value in fields.items():
        if field in _TEXT:
            column, longest = _TEXT[field]
            if value is not None:
                value = value.strip()
                if field == "title" and not value:
                    error(field, "title must not be empty.", "REQUIRED")
                elif len(value) > longest:
                    error(field, f"{camel(field)} must be at most {longest} characters.")
            values[column] = value
        elif field in _CODES:
            pattern, example = _CODES[field]
            if value is not None and not re.match(pattern, value):
                error(field, f"{field} {value!r} is not valid; expected a code like {example}.")
            values[field] = value
        elif field in _RANGES:
            low, high = _RANGES[field]
            if value is not None and not low <= value <= high:
                error(field, f"{camel(field)} must be {low}-{high}; got {value}.", "OUT_OF_RANGE")
            values[field] = value
        elif field in _ENUMS:
            values[field] = None if value is None else value.value
        elif field == "domains":
            values[field] = sorted({d.value for d in value or []})
        elif field in ("k_codes", "co_editors"):
            values[field] = [v.strip() for v in value or [] if v.strip()]
        elif field == "contact_email":
            if value is not None and not _EMAIL.match(value):
                error(field, f"contactEmail {value!r} is not an e-mail address.")
            values[field] = value
        elif field == "code_repository_url":
            if value is not None and not _URL.match(value):
                error(field, "codeRepositoryUrl must be an http(s) address.")
            values[field] = value
        elif field == "assessment":
            for name, level in vars(value).items():
                if name == "rating":
                    if level is not None and not 0 <= level <= 3:
                        error("assessment", "assessment.rating must be 0-3.", "OUT_OF_RANGE")
                    values["rating"] = level
                elif level is not None:
                    values[name] = level.value
        elif field in _AS_IS:
            values[field] = value
    return values, errors
