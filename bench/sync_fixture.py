"""Replays the real remote's recorded ``changes`` answers, so the gateway is what is measured.

A request's variables (``municipality``, ``since``) name the file the recorder wrote for
the same request; the bytes go out as they came from the real remote. A request the
recording does not hold (another page size, a cursor it never handed out, no token)
gets a GraphQL error, so a benchmark that drifted from its recording fails loudly.

Run by ``bench.sync`` as ``uvicorn --factory bench.sync_fixture:create_app`` with
``BENCH_SYNC_PAGES`` (the recording's pages folder) and ``BENCH_SYNC_FIRST``.
"""

import os
import re
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.sync_remote import page_name

JSON = [(b"content-type", b"application/json")]
CODE = re.compile(r"^[A-Z]{2}-[0-9]{3,4}$")


def create_app() -> ASGIApp:
    return Replay(Path(os.environ["BENCH_SYNC_PAGES"]), int(os.environ["BENCH_SYNC_FIRST"]))


class Replay:
    def __init__(self, pages: Path, first: int) -> None:
        self.pages = pages
        self.first = first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/healthz":
            await _send(send, 200, b'{"status":"ok"}')
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        if not headers.get(b"authorization", b"").startswith(b"Bearer "):
            await _send(send, 401, _error("no bearer token"))
            return
        status, answer = self.answer(body)
        await _send(send, status, answer)

    def answer(self, body: bytes) -> tuple[int, bytes]:
        try:
            variables: dict[str, Any] = orjson.loads(body).get("variables") or {}
        except (orjson.JSONDecodeError, AttributeError):
            return 400, _error("the body is not a GraphQL request")
        if variables.get("first") != self.first:
            return 200, _error(f"recorded with first={self.first}, asked {variables.get('first')}")
        municipality, since = variables.get("municipality"), variables.get("since")
        if (
            not isinstance(municipality, str)
            or not CODE.match(municipality)
            or not (self.pages / municipality).is_dir()
        ):
            return 200, _error(f"no recording for municipality {municipality!r}")
        if since is not None and (not isinstance(since, str) or "/" in since):
            return 200, _error(f"since {since!r} is not a cursor of the recording")
        try:
            return 200, (self.pages / municipality / page_name(since)).read_bytes()
        except OSError:
            return 200, _error(f"no recorded page after {since!r} for {municipality}")


def _error(message: str) -> bytes:
    return orjson.dumps({"errors": [{"message": f"sync fixture: {message}"}], "data": None})


async def _send(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": JSON})
    await send({"type": "http.response.body", "body": body})
