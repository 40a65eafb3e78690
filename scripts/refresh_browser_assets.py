"""Refresh the browser assets under reusegraph/api/static/vendor from npm, at pinned versions.

Run by a developer after changing a pin (never at start-up, never by the tests):

    python3 scripts/refresh_browser_assets.py

Each package's tarball is fetched from registry.npmjs.org and checked against the
registry's ``dist.integrity`` (SHA-512) before anything is unpacked; only the ready-built
files the pages load (UMD builds, no bundler needed) and the package's licence are kept.
``vendor/MANIFEST.json`` records versions, tarball URLs and each file's SHA-256, so a review
of a refresh shows exactly what changed.
"""

import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import httpx

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent.parent / "reusegraph" / "api" / "static" / "vendor"

# package -> (version, files inside the tarball's package/ folder; "LICENSE" is the
# package's licence file, whatever its name). GraphiQL 3.x is the
# last line with a ready-to-serve UMD build; the explorer plugin 3.2.6 expects the same
# @graphiql/react (0.29) that GraphiQL 3.9.0 bundles and exposes as GraphiQL.React.
# ECharts draws the analyst page: one file, a network (graph) series of its own, an SVG
# renderer whose labels are text in the page, and no eval (a strict CSP holds).
PINS: dict[str, tuple[str, list[str]]] = {
    "react": ("18.3.1", ["umd/react.production.min.js", "LICENSE"]),
    "react-dom": ("18.3.1", ["umd/react-dom.production.min.js", "LICENSE"]),
    "graphiql": ("3.9.0", ["graphiql.min.js", "graphiql.min.css", "LICENSE"]),
    "@graphiql/plugin-explorer": ("3.2.6", ["dist/index.umd.js", "dist/style.css", "LICENSE"]),
    "echarts": ("6.1.0", ["dist/echarts.min.js", "LICENSE", "NOTICE", "licenses/LICENSE-d3"]),
}


# The explorer plugin's tarball has no licence file; it is MIT (its package.json) and lives
# in the GraphiQL monorepo, whose LICENSE (that graphiql's tarball ships) covers it.
LICENCE_FROM = {"@graphiql/plugin-explorer": "graphiql"}


def _folder(package: str) -> str:
    return package.replace("@", "").replace("/", "-")


def _checked_tarball(client: httpx.Client, package: str, version: str) -> tuple[str, bytes]:
    meta = client.get(f"{REGISTRY}/{quote(package, safe='@')}/{version}")
    meta.raise_for_status()
    dist = meta.json()["dist"]
    algorithm, expected = dist["integrity"].split("-", 1)
    if algorithm != "sha512":
        raise SystemExit(f"{package}@{version}: unexpected integrity algorithm {algorithm}")
    body = client.get(dist["tarball"])
    body.raise_for_status()
    actual = base64.b64encode(hashlib.sha512(body.content).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{package}@{version}: tarball does not match the registry's integrity")
    return str(dist["tarball"]), body.content


def _licence(archive: tarfile.TarFile) -> str | None:
    names = {m.name.lower(): m.name for m in archive.getmembers()}
    for candidate in ("package/license", "package/license.md", "package/licence"):
        if candidate in names:
            return names[candidate]
    return None


def refresh() -> dict[str, object]:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    manifest: dict[str, object] = {}
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        for package, (version, files) in PINS.items():
            tarball, content = _checked_tarball(client, package, version)
            target = VENDOR / _folder(package)
            target.mkdir(parents=True)
            hashes = {}
            with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
                for name in files:
                    member = _licence(archive) if name == "LICENSE" else f"package/{name}"
                    if member is None:
                        source = VENDOR / _folder(LICENCE_FROM[package]) / "LICENSE"
                        shutil.copyfile(source, target / "LICENSE")
                        hashes["LICENSE"] = hashlib.sha256(source.read_bytes()).hexdigest()
                        continue
                    extracted = archive.extractfile(member)
                    if extracted is None:
                        raise SystemExit(f"{package}@{version}: {member} is not a file")
                    data = extracted.read()
                    out = target / Path(name).name
                    out.write_bytes(data)
                    hashes[out.name] = hashlib.sha256(data).hexdigest()
            manifest[package] = {"version": version, "tarball": tarball, "sha256": hashes}
    (VENDOR / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


if __name__ == "__main__":
    for name, entry in refresh().items():
        print(name, entry["version"], file=sys.stderr)  # type: ignore[index]
