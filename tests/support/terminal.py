"""The reusegraph CLI as a child process whose standard error is a terminal (a pty).

Progress bars are drawn only on a terminal, so a pipe (``tests/support/cli.py``) never
shows one; here standard error is the slave side of a pseudo-terminal, as an operator's
shell gives it, and standard output stays a pipe, as when an export is redirected.
"""

import asyncio
import os
import pty
import select
import subprocess
import sys
from dataclasses import dataclass

from reusegraph.store.engine import Database
from tests.support.postgres import url_of

HIDE_CURSOR = "\x1b[?25l"
"""What ``rich`` writes first when it starts a live bar."""


@dataclass
class TerminalRun:
    returncode: int
    stdout: str
    terminal: str
    """Everything written to the terminal (standard error), escape sequences included."""


def _run(env: dict[str, str], args: tuple[str, ...]) -> TerminalRun:
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "reusegraph", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    written = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed its end: Linux reports EIO
                    break
                if not chunk:
                    break
                written += chunk
            elif child.poll() is not None:
                break
        assert child.stdout is not None
        stdout = child.stdout.read()
        returncode = child.wait(timeout=120)
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
    return TerminalRun(returncode, stdout.decode(), written.decode(errors="replace"))


async def reusegraph_on_terminal(db: Database, *args: str) -> TerminalRun:
    env = {
        **os.environ,
        "DATABASE_URL": url_of(db),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
    }
    env.pop("NO_COLOR", None)
    return await asyncio.to_thread(_run, env, args)
