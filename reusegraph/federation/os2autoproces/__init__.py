"""The OS2autoproces adapter: Danish municipalities bring their registry as it is.

Two ways in, one mapping: the REST API (``fetch_pages`` / ``fetch_processes``, HAL JSON
with the municipality's API key) and the 62-column Excel export (``download_export`` +
``read_export``). Both yield ``MappedProcess`` records for the sync engine and fill a
``MappingReport`` that says what became of every field. Nothing here writes to the store.
"""

from reusegraph.federation.os2autoproces.api import (
    Page,
    download_export,
    fetch_pages,
    fetch_processes,
)
from reusegraph.federation.os2autoproces.errors import (
    AuthenticationFailed,
    Os2autoprocesError,
    SourceFormatError,
    SourceHttpError,
    SourceUnreachable,
)
from reusegraph.federation.os2autoproces.export import read_export
from reusegraph.federation.os2autoproces.fields import EXTRAS_FIELDS, IGNORED_FIELDS
from reusegraph.federation.os2autoproces.municipalities import MunicipalityDirectory
from reusegraph.federation.os2autoproces.records import (
    STORE_OWNED_COLUMNS,
    CatalogRef,
    LinkRef,
    MappedProcess,
    Problem,
    ProcessRow,
)
from reusegraph.federation.os2autoproces.report import MappingReport, Outcome

__all__ = [
    "EXTRAS_FIELDS",
    "IGNORED_FIELDS",
    "STORE_OWNED_COLUMNS",
    "AuthenticationFailed",
    "CatalogRef",
    "LinkRef",
    "MappedProcess",
    "MappingReport",
    "MunicipalityDirectory",
    "Os2autoprocesError",
    "Outcome",
    "Page",
    "Problem",
    "ProcessRow",
    "SourceFormatError",
    "SourceHttpError",
    "SourceUnreachable",
    "download_export",
    "fetch_pages",
    "fetch_processes",
    "read_export",
]
