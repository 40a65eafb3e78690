"""A run's two result files: every number as JSON, and the Markdown page people read."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_results(
    results: dict[str, Any], folder: Path, stem: str, markdown: Callable[[dict[str, Any]], str]
) -> Path:
    """``folder/stem.json`` and ``folder/stem.md``; returns the Markdown path."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    md_path = folder / f"{stem}.md"
    md_path.write_text(markdown(results))
    return md_path
