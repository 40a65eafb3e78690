"""Graceful shutdown: on SIGTERM, ``/readyz`` turns unready before the server stops listening.

A load balancer takes a replica out of rotation only after its readiness check has failed,
so for ``REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS`` the process keeps serving everything while
``/readyz`` answers 503, and stops starting syncs (a run under way is stopped, which
releases its source's lock at once, so another replica can take the source over). Then the
signal goes to uvicorn, whose own graceful shutdown does the rest: stop listening, wait for
the requests in flight (``timeout_graceful_shutdown``, from
``REUSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS``), then end the app's lifespan, which closes the
pools. The handler wraps the one uvicorn installs (read when the lifespan starts), so it
works the same under ``reusegraph serve``, its workers and a plain ``uvicorn --factory``.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

log = logging.getLogger("reusegraph.shutdown")

Handler = Callable[[int, FrameType | None], Any]


class Shutdown:
    def __init__(self, drain_seconds: float, on_drain: list[Callable[[], Awaitable[None]]]) -> None:
        self.drain_seconds = drain_seconds
        self.on_drain = on_drain
        """Run when draining starts (the sync scheduler's stop), before the drain period."""
        self.draining = False
        self._previous: Handler | None = None
        self._ours: Handler | None = None
        self._task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """Put the drain in front of the server's SIGTERM handler (in the lifespan's start)."""
        if threading.current_thread() is not threading.main_thread():
            return  # an app served from a thread (tests): its server takes no signals
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return  # no server handling SIGTERM: the default ends the process, nothing to drain
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining:  # a second SIGTERM: stop now
                previous(signum, frame)
                return
            self.draining = True
            loop.call_soon_threadsafe(self._start, previous, signum, frame)

        self._previous, self._ours = previous, on_sigterm
        signal.signal(signal.SIGTERM, on_sigterm)

    def uninstall(self) -> None:
        if self._ours is not None and signal.getsignal(signal.SIGTERM) is self._ours:
            signal.signal(signal.SIGTERM, self._previous)
        self._ours = None

    def _start(self, hand_over: Handler, signum: int, frame: FrameType | None) -> None:
        self._task = asyncio.create_task(self._drain(hand_over, signum, frame), name="drain")

    async def _drain(self, hand_over: Handler, signum: int, frame: FrameType | None) -> None:
        log.info(
            "SIGTERM: /readyz answers 503; still serving for %s s, then stopping",
            self.drain_seconds,
        )
        try:
            for step in self.on_drain:
                await step()
        except Exception:
            log.exception("a shutdown step failed; shutting down anyway")
        await asyncio.sleep(self.drain_seconds)
        log.info("drain period over: no new connections, waiting for requests in flight")
        hand_over(signum, frame)
