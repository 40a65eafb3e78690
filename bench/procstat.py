"""CPU time of a process tree from /proc: the cost per request that noise moves least.

Req/s on a shared 2-core box moves by a quarter when other tenants load it; the CPU a
server spends per request moves by a few percent (see the performance notes), so every
measurement reads the CPU of the server's whole tree (the uvicorn master and its workers,
or the postmaster and its backends) before and after.

A process's own ``utime + stime`` plus ``cutime + cstime`` (its reaped children) summed
over the live tree counts every exited backend or parallel worker exactly once.
"""

import os
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields after ``comm`` (which may hold spaces and parentheses): state is index 0."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def _parents() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children[int(fields[1])].append(int(entry.name))
    return children


def tree(root: int) -> list[int]:
    """``root`` and all its live descendants."""
    children = _parents()
    found: list[int] = []
    todo = [root]
    while todo and len(found) < 10_000:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU of the tree under ``root``, including reaped children."""
    ticks = 0
    for pid in tree(root):
        fields = _stat_fields(pid)
        if fields is None:  # exited between listing and reading
            continue
        # man 5 proc: utime, stime, cutime, cstime are fields 14-17; here 11-14.
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / TICKS_PER_SECOND


def own_ticks(pid: int) -> int | None:
    """One process's own user + system + reaped children's ticks; None once it exited."""
    fields = _stat_fields(pid)
    return None if fields is None else sum(int(value) for value in fields[11:15])


def machine_cpu_seconds() -> float:
    """All CPU time the machine spent (every core, every tenant), from /proc/stat."""
    first = (PROC / "stat").read_text().splitlines()[0].split()
    busy = sum(int(v) for v in first[1:9]) - int(first[4]) - int(first[5])  # minus idle, iowait
    return busy / TICKS_PER_SECOND
