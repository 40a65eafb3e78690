"""The circuit breaker: after repeated failed runs, leave a source alone for a while.

The state lives in the source row (``consecutive_failures``, ``circuit_open_until``), not
in memory, so every replica honours it and a restart does not reset it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Breaker:
    """Opens after ``threshold`` failed runs in a row; the pause doubles up to ``max_open``."""

    threshold: int = 3
    open_for: timedelta = timedelta(minutes=1)
    max_open: timedelta = timedelta(hours=1)

    def open_until(self, failures: int, now: datetime) -> datetime | None:
        """When the circuit may close again after ``failures`` failed runs in a row."""
        if failures < self.threshold:
            return None
        pause: timedelta = min(self.max_open, self.open_for * 2 ** (failures - self.threshold))
        return now + pause

    @staticmethod
    def is_open(open_until: datetime | None, now: datetime) -> bool:
        return open_until is not None and now < open_until
