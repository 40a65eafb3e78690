"""``POST /import``: an editor uploads a file of their own municipality's processes.

Multipart form data with one file part named ``file``, in any format ``reusegraph import``
reads (the importer's public ``run_import`` is called as it is, so a format it learns is
served here too). Without ``?apply=true`` the answer is the dry run: the real import in
one transaction, rolled back, reported row by row. With it, the same import is applied
in one transaction, and only when every row is good: a file with a bad row writes
nothing (status 422, with the same report). Each written record is in the audit log with
the editor as its author.

Only ``Authorization: Bearer`` counts here, not the GraphiQL login cookie: a form on any
web site can send a multipart POST with the browser's cookies, never with its tokens.
The body is counted as it arrives and refused (413) past ``max_import_bytes``, before the
file is complete, so a large upload cannot fill the disk or memory.
"""

import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from reusegraph.auth.principal import Principal
from reusegraph.federation.files import (
    FileUnreadable,
    ImportOptions,
    ImportRefused,
    ImportReport,
    run_import,
)
from reusegraph.federation.files.rows import default_source
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.write_rules import editor_of

PrincipalOf = Callable[[Request], Awaitable[Principal]]
UPLOAD_CHUNK = 1 << 16


class _TooLarge(Exception):
    pass


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _refusal(status: int, code: str, message: str, **more: Any) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="reusegraph"'} if status == 401 else None
    return _json({"code": code, "message": message, **more}, status, headers)


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``_TooLarge`` once the body passes ``limit`` bytes."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
        return message

    return counted


def report_json(report: ImportReport) -> dict[str, Any]:
    """The report as the client reads it: totals per source, then each row's fate."""
    return {
        "file": report.file,
        "format": report.format,
        "dryRun": report.dry_run,
        "written": report.written,
        "rows": report.rows,
        "badRows": report.bad_rows,
        "dropped": report.bad_rows,
        "sources": [
            {
                "code": t.code,
                "owners": t.owners,
                "new": t.new,
                "created": t.created,
                "updated": t.updated,
                "unchanged": t.unchanged,
                "kept": t.kept,
                "deleted": t.deleted,
            }
            for t in report.sources.values()
        ],
        "changes": [
            {
                "action": c.action.value,
                "row": c.row,
                "source": c.source,
                "id": c.source_id,
                "title": c.title,
                "fields": list(c.fields),
            }
            for c in report.changes
        ],
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "message": e.message}
            for e in report.errors
        ],
        "unknownColumns": report.unknown_columns,
        "skippedColumns": report.skipped_columns,
        "notes": report.notes,
        "summary": report.summary(),
    }


class FileImport:
    def __init__(self, db: Database, principal_of: PrincipalOf, max_bytes: int) -> None:
        self.db = db
        self.principal_of = principal_of
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, _counted(receive, self.max_bytes))
        response = await self.handle(request)
        await response(scope, receive, send)

    async def _editor(self, request: Request) -> Principal | Response:
        if "authorization" not in request.headers:
            return _refusal(401, "UNAUTHENTICATED", "Importing needs Authorization: Bearer.")
        try:
            viewer = await self.principal_of(request)
        except Exception as error:
            status = getattr(error, "status", None)
            if not isinstance(status, int) or not 400 <= status < 600:
                raise
            code = "UNAUTHENTICATED" if status == 401 else "SERVICE_UNAVAILABLE"
            return _refusal(status, code, str(error) or "not allowed")
        if editor_of(viewer) is None:
            return _refusal(
                403,
                "FORBIDDEN",
                "Importing needs the editor role for a municipality; the file's records"
                " become that municipality's.",
            )
        return viewer

    async def handle(self, request: Request) -> Response:
        viewer = await self._editor(request)
        if isinstance(viewer, Response):
            return viewer
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return self._too_large()
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _refusal(
                415,
                "BAD_USER_INPUT",
                "Send the file as multipart/form-data, in a part named 'file'.",
            )
        apply = request.query_params.get("apply", "false").lower()
        if apply not in ("true", "false"):
            return _refusal(400, "BAD_USER_INPUT", "apply: true or false", parameter="apply")
        try:
            async with request.form(max_files=1, max_fields=5) as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    return _refusal(
                        400, "BAD_USER_INPUT", "No file: send it in a part named 'file'."
                    )
                return await self._import(request, viewer, upload, dry_run=apply == "false")
        except _TooLarge:
            return self._too_large()

    def _too_large(self) -> Response:
        return _refusal(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The upload is larger than {self.max_bytes} bytes"
            " (REUSEGRAPH_MAX_IMPORT_BYTES); split the file, or ask the operator.",
        )

    async def _import(
        self, request: Request, viewer: Principal, upload: UploadFile, *, dry_run: bool
    ) -> Response:
        municipality = viewer.municipality
        assert municipality is not None
        name = Path(upload.filename or "").name or "upload"
        options = ImportOptions(
            dry_run=dry_run,
            atomic=True,
            municipality=municipality,
            source=default_source(municipality),
            as_caller=True,
        )
        # The caller's own role, under row-level security as for processCreate: an editor
        # writes only their municipality's rows and registers only its own file source.
        call = Call(viewer, request_id=request.headers.get("x-request-id") or uuid.uuid4().hex)
        with tempfile.TemporaryDirectory(prefix="reusegraph-import-") as directory:
            path = Path(directory) / name
            with path.open("wb") as out:
                while chunk := await upload.read(UPLOAD_CHUNK):
                    out.write(chunk)
            try:
                report = await run_import(self.db, path, options, call=call)
            except (FileUnreadable, ImportRefused) as error:
                return _refusal(400, "BAD_USER_INPUT", str(error))
            except DatabaseUnavailable:
                return _refusal(503, "SERVICE_UNAVAILABLE", "The database is unavailable.")
        status = 422 if report.errors and not dry_run else 200
        return _json(report_json(report), status)
