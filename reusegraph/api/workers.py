"""Several server processes (``REUSEGRAPH_WORKERS`` > 1): uvicorn's supervisor, plus the
bookkeeping of prometheus_client's multiprocess mode.

Each worker writes its metric values to files of its own in ``PROMETHEUS_MULTIPROC_DIR``
and a scrape of any worker adds them up (``observability.exposition``). When a worker
exits (a crash the supervisor restarts, SIGHUP, SIGTTOU, shutdown) its counters must stay,
since they are the deployment's totals, but its live gauges (the pool connections) would
be added in forever: ``mark_process_dead`` removes those, as the library asks of the
process that supervises the workers.
"""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess
from uvicorn.supervisors.multiprocess import Multiprocess

from reusegraph.observability.exposition import MULTIPROCESS_DIR


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """The directory the workers share, emptied of an earlier run's files (whose counts
    would otherwise be added to this run's); a temporary one unless the operator set it."""
    given = os.environ.get(MULTIPROCESS_DIR)
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="reusegraph-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)
    try:
        yield directory
    finally:
        if not given:
            os.environ.pop(MULTIPROCESS_DIR, None)
            shutil.rmtree(directory, ignore_errors=True)


class Workers(Multiprocess):
    """uvicorn's supervisor; every way a worker leaves it ends in ``mark_process_dead``."""

    def keep_subprocess_alive(self) -> None:
        self._reaping(super().keep_subprocess_alive)

    def restart_all(self) -> None:
        self._reaping(super().restart_all)

    def handle_ttou(self) -> None:
        self._reaping(super().handle_ttou)

    def join_all(self) -> None:
        super().join_all()
        for process in self.processes:
            if process.pid is not None:
                multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]

    def _reaping(self, change: Callable[[], Any]) -> None:
        before = {process.pid for process in self.processes}
        change()
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
