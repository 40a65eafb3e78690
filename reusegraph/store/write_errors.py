"""Why a write was refused, in terms the caller can act on.

    WriteRejected   the input is wrong (payload userErrors, nothing written)
    WriteForbidden  the caller may not write this record at all (FORBIDDEN)

Database constraints and row-level security are the last line of defence. When one
fires, ``refusals`` turns PostgreSQL's error into one of these, read from the error's
SQLSTATE and constraint name (the driver's diagnostics), never from its message text:
42501 (insufficient privilege, which a policy's refusal is) becomes ``WriteForbidden``,
a named constraint the ``WriteRejected`` of the input field it guards.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, IntegrityError

INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class FieldError:
    code: str
    message: str
    field: tuple[str, ...]


class WriteRejected(Exception):
    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


class WriteForbidden(Exception):
    pass


def rejected(code: str, message: str, *field: str) -> WriteRejected:
    return WriteRejected(FieldError(code, message, field))


# constraint name -> (input field, what is allowed)
_CONSTRAINTS: dict[str, tuple[str, str]] = {
    "ck_process_kle_format": ("kle", "a KLE number like 02.34.02"),
    "ck_process_form_format": ("form", "a FORM number like 02.34.02.01"),
    "ck_process_kla_format": ("kla", "a K-code like 02.34.02"),
    "ck_process_title_not_empty": ("title", "a non-empty title"),
    "ck_process_automation_percentage": ("automationPercentage", "0-100"),
    "ck_process_rating_range": ("rating", "0-3"),
    "uq_vendor_name": ("name", "a name no other vendor has"),
    "uq_vendor_country": ("orgNumber", "an organisation number no other vendor has"),
    "ck_municipality_fte_hours": ("fteHoursPerYear", "more than 0 and at most 8784"),
    "ck_framework_agreement_options_exercised_range": (
        "optionsExercised",
        "no more options than the agreement has",
    ),
    "uq_trusted_issuer_issuer": ("issuer", "an issuer not registered yet"),
    "ix_source_owner_municipality_code": (
        "owners",
        "municipalities no other source owns (a municipality has one owning source)",
    ),
}


@contextmanager
def refusals() -> Iterator[None]:
    """Around a write's statements: PostgreSQL's refusals as the caller's errors; any
    other database error (a fault, not a refusal) goes on as it is."""
    try:
        yield
    except DBAPIError as error:
        if sqlstate(error) == INSUFFICIENT_PRIVILEGE:
            raise WriteForbidden("You may not write this record.") from None
        explained = from_integrity(error)
        if explained is None:
            raise
        raise explained from None


def sqlstate(error: DBAPIError) -> str | None:
    code = getattr(error.orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def _constraint(error: DBAPIError) -> str | None:
    """The violated constraint's name, from the driver's diagnostics (asyncpg's)."""
    driver = getattr(error.orig, "driver_exception", None)
    name = getattr(driver, "constraint_name", None)
    return name if isinstance(name, str) else None


def from_integrity(error: IntegrityError | DBAPIError) -> WriteRejected | None:
    """A violated constraint as a field error; None when it is not one we can explain."""
    name = _constraint(error)
    if name is None:
        return None
    field, allowed = _CONSTRAINTS.get(name, ("", ""))
    if not field:
        if name.startswith("fk_"):
            return rejected("NOT_FOUND", "A record this input refers to does not exist.")
        if name.startswith(("uq_", "pk_")):
            return rejected("DUPLICATE", "A record with these values exists already.")
        return rejected("INVALID", f"The input breaks the rule {name}.")
    return rejected("INVALID", f"{field} must be {allowed}.", field)
