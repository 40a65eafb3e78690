"""The process's own fields, declared once: column, kind, visibility and description.

Every reader of a process row that passes a column through unchanged takes its list from
here: the GraphQL ``Process`` type and the change feed's ``FeedProcess``
(``schema/process_columns.py`` builds their fields), the compiled read path
(``compiler/fields.py``) and the source contract that reads a feed
(``federation/contract_fields.py``). Adding such a field is one entry here (plus its
column in ``models`` and a migration). Fields that are computed, nested or laid out
for a foreign format (the assessment and contact groups, ``expectedHoursPerYear``, the
OS2autoproces exports and records) are written where they are computed.
"""

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    TEXT = "text"
    TEXTS = "texts"
    INT = "int"
    NUMBER = "number"
    """A decimal column, a float in GraphQL."""
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    JSON = "json"
    DOMAINS = "domains"
    PHASE = "phase"
    STATUS = "status"
    VISIBILITY = "visibility"
    PROCESS_TYPE = "process_type"
    RUN_PERIOD = "run_period"


@dataclass(frozen=True)
class ProcessField:
    column: str
    kind: Kind
    required: bool = False
    """Never null (lists: never null, maybe empty)."""
    owner_only: bool = False
    """Shown only to the owning municipality (``store.visibility.sees_internals``)."""
    description: str | None = None
    name: str | None = None
    """The field's name in ``Process`` (snake case), when it is not the column's."""
    feed_name: str | None = None
    """The field's name in the change feed, when it is not ``name``."""
    in_feed: bool = True
    """Part of the change feed (a mirror's own bookkeeping is not)."""

    @property
    def field(self) -> str:
        return self.name or self.column

    @property
    def feed_field(self) -> str:
        return self.feed_name or self.field


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


_OWNER = "Only for the owning municipality."
_T = Kind.TEXT

PROCESS_FIELDS: tuple[ProcessField, ...] = (
    ProcessField("title", _T, required=True),
    *(
        ProcessField(column, _T)
        for column in (
            "summary",
            "description",
            "process_challenges",
            "solution_requests",
            "automation_description",
            "technical_implementation_notes",
            "organizational_implementation_notes",
            "status_text",
            "rating_comment",
            "time_spend_comment",
            "search_words",
            "department",
        )
    ),
    ProcessField("domains", Kind.DOMAINS, required=True),
    ProcessField("kle", _T, description="KLE code NN.NN.NN (Danish task taxonomy)."),
    ProcessField("form", _T, description="FORM code (Danish reference model)."),
    ProcessField("kla", _T, description="Number in KL's Arbejdsgangsbank."),
    ProcessField(
        "k_codes", Kind.TEXTS, required=True, description="Norwegian K-koder (archive keys)."
    ),
    ProcessField("kl_id", _T),
    ProcessField("sep_mep", Kind.BOOL, required=True),
    ProcessField("legal_clause", _T),
    ProcessField("legal_clause_last_verified", Kind.DATE),
    ProcessField("phase", Kind.PHASE, required=True),
    ProcessField("status", Kind.STATUS),
    ProcessField("visibility", Kind.VISIBILITY, required=True),
    ProcessField("type", Kind.PROCESS_TYPE, required=True),
    ProcessField("run_period", Kind.RUN_PERIOD),
    ProcessField("runs_per_year", Kind.INT),
    ProcessField("minutes_per_run", Kind.NUMBER),
    ProcessField("employees_doing_process", Kind.INT),
    ProcessField("automation_percentage", Kind.INT),
    ProcessField("development_hours", Kind.NUMBER),
    ProcessField("targets_citizens", Kind.BOOL),
    ProcessField("targets_companies", Kind.BOOL),
    ProcessField("put_into_operation", Kind.DATE),
    ProcessField("decommissioned", Kind.DATE),
    ProcessField("code_repository_url", _T),
    ProcessField("internal_notes", _T, owner_only=True, description=_OWNER),
    ProcessField(
        "esdh_reference",
        _T,
        owner_only=True,
        name="case_reference",
        feed_name="esdh_reference",
        description="Case number in the owner's ESDH; only for the owning municipality.",
    ),
    ProcessField("reporter", _T, owner_only=True, description=_OWNER),
    ProcessField("owner", _T, owner_only=True, description=_OWNER),
    ProcessField("co_editors", Kind.TEXTS, owner_only=True, description=_OWNER),
    ProcessField("source_id", _T, in_feed=False, description="The record's id in its source."),
    ProcessField("source_url", _T, in_feed=False),
    ProcessField("synced_at", Kind.DATETIME, in_feed=False),
    ProcessField(
        "extras", Kind.JSON, required=True, description="Source fields with no place in this model."
    ),
    ProcessField("created_at", Kind.DATETIME, required=True),
    ProcessField("updated_at", Kind.DATETIME, required=True),
    ProcessField(
        "version",
        Kind.INT,
        required=True,
        in_feed=False,
        description="Increments on every change; send it with updates.",
    ),
)
FEED_FIELDS = tuple(field for field in PROCESS_FIELDS if field.in_feed)
OWNER_ONLY_COLUMNS = frozenset(field.column for field in PROCESS_FIELDS if field.owner_only)
