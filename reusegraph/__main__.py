"""``python -m reusegraph`` is the ``reusegraph`` command."""

from reusegraph.api.cli import main

main()
