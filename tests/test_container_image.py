"""The image's start-up, run as the program it is: ``reusegraph serve`` with the
environment the Dockerfile gives it (no container runtime runs on CI's machine).

Without DATABASE_URL it must stop at once and say how to set it, never quietly start an
embedded PostgreSQL whose data dies with the container; with one, it serves that
database and loads no demo data into it.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from reusegraph.store.engine import Database
from tests.support.http import free_port
from tests.support.postgres import url_of

ROOT = Path(__file__).resolve().parent.parent


def image_environment() -> dict[str, str]:
    """The final stage's ENV lines (``ENV A=1 \\ B=2``), PATH left to this machine."""
    text = (ROOT / "Dockerfile").read_text()
    final = text.rsplit("\nFROM ", 1)[1]
    found: dict[str, str] = {}
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", final, re.MULTILINE):
        for name, value in re.findall(r"([A-Z_]+)=(\S+)", block.replace("\\\n", " ")):
            if name != "PATH":
                found[name] = value
    return found


def serve(extra: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REUSEGRAPH_", "DATABASE"))}
    env.update(image_environment())
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package, whatever the cwd
    return subprocess.Popen(
        [sys.executable, "-m", "reusegraph", "serve"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_image_refuses_to_start_without_a_database(tmp_path: Path) -> None:
    assert image_environment()["REUSEGRAPH_EMBEDDED"] == "false"
    started = time.monotonic()
    server = serve({}, tmp_path)
    _, err = server.communicate(timeout=60)
    assert server.returncode == 2
    assert "DATABASE_URL" in err
    assert "REUSEGRAPH_EMBEDDED=true" in err
    assert "Traceback" not in err
    assert not (tmp_path / ".reusegraph").exists(), "no embedded PostgreSQL was started"
    assert time.monotonic() - started < 60


def test_the_image_serves_the_given_database_without_demo_data(
    tmp_path: Path, empty_db: Database
) -> None:
    port = free_port()
    server = serve(
        {
            "DATABASE_URL": url_of(empty_db),
            "REUSEGRAPH_HOST": "127.0.0.1",
            "REUSEGRAPH_PORT": str(port),
            "REUSEGRAPH_WORKERS": "1",
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        },
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ processes { totalCount } municipalities { totalCount } }"},
            timeout=10,
        ).json()
        assert answer["data"] == {
            "processes": {"totalCount": 0},
            "municipalities": {"totalCount": 0},
        }
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not (tmp_path / ".reusegraph").exists()
