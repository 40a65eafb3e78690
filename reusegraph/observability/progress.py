"""Progress of long CLI work (import, export, sync, demo load, the benchmarks' dataset).

A bar (``rich``) when stderr is a terminal; otherwise plain lines, one per tenth of the
total (or every ``PLAIN_EVERY_SECONDS`` when the total is unknown), so a log file or CI
output shows the work moving without a line per row. Always on stderr: a command whose
stdout carries data (``export`` without ``--output``) writes the same bytes with or
without it. The code doing the work only calls a plain callback; this module alone knows
the terminal library.
"""

import sys
import time
from types import TracebackType
from typing import IO

PLAIN_EVERY_SECONDS = 5.0


class Progress:
    def __init__(
        self,
        total: int | None,
        label: str,
        *,
        unit: str = "",
        stream: IO[str] | None = None,
        terminal: bool | None = None,
    ) -> None:
        self.total = total
        self.label = label
        self.unit = f" {unit}" if unit else ""
        self.done = 0
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self._next_tenth = 1
        self._last_line = time.monotonic()
        self._closed = False
        self._bar: object | None = None
        if self.terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit.strip()),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
            )
            self._task = bar.add_task(label, total=total)
            bar.start()
            self._bar = bar

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int, total: int | None = None) -> None:
        """Set the count reached (callbacks that report a running total call this)."""
        if total is not None:
            self.total = total
        self.done = done
        if self._bar is not None:
            from rich.progress import Progress as Bar

            assert isinstance(self._bar, Bar)
            self._bar.update(self._task, completed=done, total=self.total)
            return
        now = time.monotonic()
        if self.total:
            tenth = done * 10 // self.total
            if tenth >= self._next_tenth and done < self.total:
                self._next_tenth = tenth + 1
                self._line()
        elif now - self._last_line >= PLAIN_EVERY_SECONDS:
            self._line()

    def close(self) -> None:
        """The last word: the bar at its final count, or a plain line with it."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            from rich.progress import Progress as Bar

            assert isinstance(self._bar, Bar)
            self._bar.update(self._task, completed=self.done, total=self.total or self.done)
            self._bar.stop()
        else:
            self._line()

    def _line(self) -> None:
        self._last_line = time.monotonic()
        if self.total:
            share = f" of {self.total}{self.unit} ({self.done * 100 // self.total} %)"
        else:
            share = self.unit
        print(f"{self.label}: {self.done}{share}", file=self.stream, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
