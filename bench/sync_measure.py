"""One measured command: wall time, peak RSS, CPU of it and of the parties it talks to.

    flock /tmp/reusegraph-bench.lock python -m bench.sync_measure --out run.json \\
        --watch fixture=PID --watch postgres=PID -- reusegraph sync

``bench.sync`` runs every timed step like this, so the lock is held exactly while
something is measured (another benchmark on the machine takes the same lock) and the
wait for it is not part of the figures.

Peak RSS is the kernel's own high-water mark of the child (``ru_maxrss`` from
``wait4``), not a sample; the samples of VmRSS (every ``--sample-ms``) only show how the
resident size moved during the run.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from bench.procstat import cpu_seconds, machine_cpu_seconds

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def resident_kib(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return None
    return int(fields[1]) * PAGE_KIB


def measure(
    command: list[str], watch: dict[str, int], log: Path, sample_s: float, timeout_s: float
) -> dict[str, Any]:
    before = {name: cpu_seconds(pid) for name, pid in watch.items()}
    machine_before = machine_cpu_seconds()
    samples: list[tuple[float, int]] = []
    with log.open("wb") as out:
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if pid:
                break
            rss = resident_kib(child.pid)
            if rss is not None:
                samples.append((round(elapsed, 2), rss))
            if elapsed > timeout_s:
                child.send_signal(signal.SIGTERM)
                timeout_s = float("inf")
            time.sleep(sample_s)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    machine = machine_cpu_seconds() - machine_before
    cpu = {name: round(cpu_seconds(pid) - before[name], 2) for name, pid in watch.items()}
    own = usage.ru_utime + usage.ru_stime
    return {
        "command": command,
        "exit_status": child.returncode,
        "wall_seconds": round(wall, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(own, 2),
        "cpu_user_seconds": round(usage.ru_utime, 2),
        "watched_cpu_seconds": cpu,
        "machine_cpu_seconds": round(machine, 2),
        "other_cpu_cores": round(max(machine - own - sum(cpu.values()), 0.0) / wall, 2),
        "rss_samples_mib": [(t, round(kib / 1024, 1)) for t, kib in samples],
        "log": str(log),
        "started_at_unix": round(time.time() - wall, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_measure")
    parser.add_argument("--out", type=Path, required=True, help="JSON with the figures")
    parser.add_argument("--log", type=Path, help="the command's output (default: OUT.log)")
    parser.add_argument("--watch", action="append", default=[], metavar="NAME=PID")
    parser.add_argument("--sample-ms", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=1800.0, help="SIGTERM after this")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    watch = {name: int(pid) for name, _, pid in (w.partition("=") for w in args.watch)}
    log = args.log or args.out.with_suffix(".log")
    result = measure(args.command, watch, log, args.sample_ms / 1000, args.timeout)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    sys.exit(0 if result["exit_status"] == 0 else 1)


if __name__ == "__main__":
    main()
