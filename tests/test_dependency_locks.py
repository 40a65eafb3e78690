"""The lock files pin every dependency ``pyproject.toml`` names, within its range.

The image installs ``requirements/app.lock`` and ``dev.py`` (so CI) installs
``requirements/test.lock``, both with ``--require-hashes``; a dependency added to
``pyproject.toml`` without ``scripts/lock_dependencies.py`` would be installed unpinned
by ``dev.py`` and missing from the image. This says so before anyone ships it.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    assert "--hash=sha256:" in text, f"{lock} has no hashes"
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("app.lock", PROJECT["dependencies"]),
        ("test.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_every_dependency_is_pinned_within_its_range(lock: str, requirements: list[str]) -> None:
    pinned = pins(lock)
    problems = []
    for line in requirements:
        wanted = Requirement(line)
        version = pinned.get(canonicalize_name(wanted.name))
        if version is None:
            problems.append(f"{wanted.name} is not in requirements/{lock}")
        elif not wanted.specifier.contains(version, prereleases=True):
            problems.append(f"{wanted.name}=={version} is outside {wanted.specifier}")
    assert not problems, "; ".join(problems) + ": run scripts/lock_dependencies.py"


def test_the_image_installs_from_the_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/app.lock" in dockerfile
    assert "--no-deps" in dockerfile, "the package itself adds no unpinned dependency"
