"""File import: a CSV or JSON file of processes into a ``file`` source (``reusegraph import``).

The rows are those our export writes (OS2autoproces's 62 Danish columns and ours) or plain
JSON objects with our GraphQL or database field names. They become mirror records of a
file source and are written by the sync engine's write path, with provenance and the
audit log; ``--dry-run`` reports what would change, and bad rows are reported by row and
column.
"""

from reusegraph.federation.files.importer import ImportOptions, import_file, run_import
from reusegraph.federation.files.reading import FileFormat, FileUnreadable
from reusegraph.federation.files.report import ImportReport, RowError
from reusegraph.federation.files.rows import ImportRefused, default_source

__all__ = [
    "FileFormat",
    "FileUnreadable",
    "ImportOptions",
    "ImportRefused",
    "ImportReport",
    "RowError",
    "default_source",
    "import_file",
    "run_import",
]
