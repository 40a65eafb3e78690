"""The compose file's pieces agree with the project as it is today.

No container runtime runs on CI's machine, so the file is not started here; what can
drift is checked instead: the router's supergraph is ``schema.graphql`` composed now,
and routes to the service the compose file names; the replicas get a database and no
embedded PostgreSQL; migrations run before the replicas start.
"""

import re
from pathlib import Path

from scripts.compose_supergraph import ROUTING_URL, SUPERGRAPH, composed

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def test_the_routers_supergraph_is_todays_schema_composed() -> None:
    assert SUPERGRAPH.read_text() == composed(), (
        "deploy/router/supergraph.graphql is out of date:"
        " run .venv/bin/python scripts/compose_supergraph.py"
    )
    assert ROUTING_URL in SUPERGRAPH.read_text()


def test_the_replicas_start_after_the_migration_on_the_compose_database() -> None:
    service = ROUTING_URL.split("//")[1].split(":")[0]
    assert re.search(rf"^  {service}:\n", COMPOSE, re.MULTILINE)
    assert "replicas: 2" in COMPOSE
    assert "service_completed_successfully" in COMPOSE
    assert 'command: ["reusegraph", "migrate"]' in COMPOSE
    assert "DATABASE_URL: postgresql://" in COMPOSE
