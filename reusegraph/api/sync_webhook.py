"""``POST /sources/{code}/sync``: a remote registry (or an operator) asks for a sync now.

Allowed for an admin, or an editor of one of the source's owner municipalities (the
municipality whose registry just changed). The run starts in the background and the
answer is 202 at once; ``?wait=true`` waits for the run and answers with its result.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from reusegraph.auth.authenticator import Authenticator, challenge
from reusegraph.auth.errors import AuthError, InvalidToken
from reusegraph.federation.sync import SyncEngine
from reusegraph.store import sync_state
from reusegraph.store.enums import RunOutcome
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.write_rules import may_write_for

_STATUS = {RunOutcome.OK: 200, RunOutcome.PARTIAL: 200, RunOutcome.FAILED: 503}
"""A waited-for run's HTTP status; any other outcome (busy, circuit open) is 409."""


class SourceSyncWebhook:
    def __init__(self, engine: SyncEngine, authenticator: Authenticator) -> None:
        self.engine = engine
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        code = request.path_params["code"]
        try:
            viewer = await self.authenticator.principal_of(request)
        except InvalidToken as error:
            return _error(401, str(error), {"WWW-Authenticate": challenge(error)})
        except AuthError as error:
            return _error(error.status, str(error), {"Retry-After": "5"})
        if viewer.is_anonymous:
            return _error(
                401, "Triggering a sync needs a bearer token.", {"WWW-Authenticate": "Bearer"}
            )
        try:
            source, owners = await sync_state.load(self.engine.db, code)
        except DatabaseUnavailable:
            return _error(
                503, "The database is unavailable; try again shortly.", {"Retry-After": "5"}
            )
        if source is None:
            return _error(404, f"No source {code!r}.")
        if not may_write_for(viewer, owners):
            return _error(
                403,
                f"Only an admin or an editor of {', '.join(owners) or 'its owners'} may trigger"
                f" a sync of {code}.",
            )
        if source.kind not in sync_state.MIRRORED:
            return _error(409, f"{code} is a {source.kind} source: there is nothing to pull.")
        if request.query_params.get("wait", "").lower() in ("1", "true", "yes"):
            run = await self.engine.sync(code)
            status = _STATUS.get(run.outcome, 409)
            return JSONResponse(
                {
                    "source": code,
                    "outcome": run.outcome,
                    "pages": run.pages,
                    "upserted": run.upserted,
                    "deleted": run.deleted,
                    "skipped": len(run.skipped),
                    "dropped": len(run.dropped),
                    "registered": run.registered,
                    "unserved": run.unserved,
                    "fields": run.fields,
                    "error": run.error,
                },
                status_code=status,
            )
        started = self.engine.trigger(code)
        return JSONResponse(
            {"source": code, "status": "started" if started else "already running"},
            status_code=202,
        )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
