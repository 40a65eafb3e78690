#!/usr/bin/env python3
"""Pin every dependency, with hashes, for the image (``requirements/app.lock``) and for
development and CI (``requirements/test.lock``), from ``pyproject.toml``.

    .venv/bin/python scripts/lock_dependencies.py            # keep pins, add what is new
    .venv/bin/python scripts/lock_dependencies.py --upgrade  # newest versions allowed

Run by developers after changing the dependencies in ``pyproject.toml``, never at start-up.
``uv pip compile --universal`` writes one file for every platform (markers where a
package is platform-specific) and keeps the pins already in the file unless told to
upgrade; ``tests/test_dependency_locks.py`` checks both files name every dependency.
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"app.lock": [], "test.lock": ["--extra", "test"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upgrade", action="store_true", help="take the newest versions allowed")
    options = parser.parse_args()
    for name, extra in LOCKS.items():
        command = [
            sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml", *extra,
            "--universal", "--python-version", "3.11", "--generate-hashes", "--quiet",
            "--output-file", f"requirements/{name}",
        ]  # fmt: skip
        if options.upgrade:
            command.append("--upgrade")
        subprocess.run(command, cwd=ROOT, check=True)
        print(f"requirements/{name}")


if __name__ == "__main__":
    main()
