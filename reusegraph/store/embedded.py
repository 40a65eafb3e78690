"""A private PostgreSQL for users who have none: the ``pgserver`` wheel ships the binaries.

Started when ``DATABASE_URL`` is unset, in a data directory of the app. pgserver keeps a
list of the processes using the server and stops it when the last one exits.
"""

import logging
import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: object | None = None

    def start(self) -> URL:
        """Start (or join) the server and return a URL for its ``postgres`` database."""
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir.parent / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        import pgserver  # imported late: it creates lock files at import time

        self.data_dir.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.data_dir)
        server = pgserver.get_server(self.data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        self._server = server
        uri = make_url(server.get_uri())
        return uri.set(drivername="postgresql+asyncpg", password=None)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None
