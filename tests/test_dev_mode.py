"""Dev mode: `reusegraph dev-token` signs in as anyone, so it exists only when switched on."""

import subprocess
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings, SettingsError
from reusegraph.store.engine import Database
from tests.support.http import serving
from tests.support.postgres import url_of

VIEWER = "{ viewer { subject municipality roles } }"


def dev_token(
    data_dir: Path, *args: str, dev_mode: str = "true"
) -> subprocess.CompletedProcess[str]:
    env = {"REUSEGRAPH_DEV_MODE": dev_mode, "REUSEGRAPH_DATA_DIR": str(data_dir), "PATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "reusegraph", "dev-token", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_a_dev_token_works_only_against_a_server_in_dev_mode(
    empty_db: Database, tmp_path: Path
) -> None:
    minted = dev_token(tmp_path, "--municipality", "NO-5001", "--role", "editor")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    for dev_mode, status in ((True, 200), (False, 401)):
        app = create_app(Settings(dev_mode=dev_mode, data_dir=tmp_path), url_of(empty_db))
        async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
            response = await http.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert response.status_code == status, response.text
    assert response.status_code == 401


async def test_the_dev_issuer_key_is_private_to_its_owner(tmp_path: Path) -> None:
    assert dev_token(tmp_path, "--role", "reader").returncode == 0
    key = tmp_path / "dev-issuer-key.json"
    assert key.stat().st_mode & 0o077 == 0


def test_dev_token_refuses_without_dev_mode(tmp_path: Path) -> None:
    result = dev_token(tmp_path, "--role", "editor", dev_mode="false")
    assert result.returncode != 0
    assert "REUSEGRAPH_DEV_MODE=true" in result.stderr
    assert result.stdout == ""


def test_dev_mode_is_refused_in_production() -> None:
    with pytest.raises(SettingsError, match="REUSEGRAPH_DEV_MODE cannot be on together"):
        Settings.from_environ({"REUSEGRAPH_DEV_MODE": "true", "REUSEGRAPH_PRODUCTION": "true"})


def test_servers_starting_together_share_one_dev_key(tmp_path: Path) -> None:
    """Two dev servers (or workers) on one data directory: one key, nobody crashes."""
    from reusegraph.auth.dev_issuer import KEY_FILE, load_or_create_key

    for attempt in range(5):
        data_dir = tmp_path / f"data-{attempt}"
        kids, failures = _start_together(6, partial(_kid, load_or_create_key, data_dir))
        assert failures == []
        assert len(set(kids)) == 1, kids
        assert [p.name for p in data_dir.iterdir()] == [KEY_FILE], "no temporary files left"
        assert (data_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600


def _kid(load: Callable[[Path], Any], directory: Path) -> str:
    return str(load(directory).kid)


def _start_together(count: int, start: Callable[[], str]) -> tuple[list[str], list[BaseException]]:
    barrier = threading.Barrier(count)
    results: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(start())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_a_server_that_loses_the_race_reads_the_winners_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reusegraph.auth import dev_issuer

    winner = dev_issuer.load_or_create_key(tmp_path)
    # It looked before the winner wrote: the file was not there yet.
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert dev_issuer.load_or_create_key(tmp_path).kid == winner.kid
