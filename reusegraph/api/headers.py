"""Response headers every answer carries, and the size limit of a request's head.

``SecurityHeaders`` (ASGI middleware): ``X-Content-Type-Options: nosniff`` on every
response; every HTML page also gets ``X-Frame-Options: DENY`` and, unless it brings its
own (GraphiQL does), a Content-Security-Policy that allows nothing but same-origin forms.

``LimitedHttpToolsProtocol``: uvicorn's default HTTP parser (httptools) takes request
heads of any size; this one answers ``431 Request Header Fields Too Large`` and closes the
connection once the request line and headers pass the limit, without buffering more. The
limit is uvicorn's ``h11_max_incomplete_event_size`` (what h11 itself limits the same
way), set from REUSEGRAPH_MAX_HEADER_BYTES.
"""

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HTML_POLICY = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
LINGER_SECONDS = 2.0


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    if b"x-frame-options" not in names:
                        headers.append((b"x-frame-options", b"DENY"))
                    if b"content-security-policy" not in names:
                        headers.append((b"content-security-policy", HTML_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class LimitedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
    """httptools with a limit on the request head (request line plus headers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.config.h11_max_incomplete_event_size
        self.max_head = limit if isinstance(limit, int) else DEFAULT_MAX_HEADER_BYTES
        self.refused = False
        self.in_head = True
        self.head_bytes = 0
        self.tail = b""

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.in_head:
            window = self.tail + data
            end = window.find(b"\r\n\r\n")
            self.head_bytes += len(data) if end < 0 else max(0, end + 4 - len(self.tail))
            self.tail = window[-3:]
            if self.head_bytes > self.max_head:
                self._refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self.in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head, self.head_bytes, self.tail = True, 0, b""

    def _refuse(self) -> None:
        body = f"Request header fields are larger than {self.max_head} bytes.".encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        # A lingering close, as web servers do: closing with the rest of the head unread
        # would reset the connection and lose the answer. Stop writing, read and drop what
        # still comes, and close shortly after.
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
