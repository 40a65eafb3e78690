"""Start and stop the two servers under test, each its own uvicorn with N workers.

Each runs in its own session so its CPU is one process tree (``procstat``), and so
stopping it can never touch anything this harness did not start.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


@dataclass
class Server:
    name: str
    base_url: str
    process: "subprocess.Popen[bytes]"
    log_path: Path
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def start_uvicorn(
    name: str, factory: str, env: dict[str, str], *, workers: int, log_dir: Path
) -> Server:
    """``uvicorn --factory`` on loopback, uvloop + httptools, no access log (as in production)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server(name, f"http://{LOOPBACK}:{port}", process, log_path, log)


def wait_ready(server: Server, *, timeout_s: float = 90.0) -> None:
    """Poll ``/healthz`` until it answers; fail early if the server exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}; see {server.log_path}"
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} not ready after {timeout_s:.0f} s; see {server.log_path}")


def stop(server: Server, *, timeout_s: float = 20.0) -> None:
    """SIGTERM to the uvicorn master (it stops its workers); SIGKILL its group if it hangs."""
    try:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=timeout_s)
    finally:
        server.log.close()
