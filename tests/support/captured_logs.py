"""A logger's lines as the server writes them (the JSON formatter of ``api.logs``)."""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from reusegraph.api.logs import JsonFormatter


class CapturedLines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.text.splitlines() if line]


@contextmanager
def captured(logger_name: str) -> Iterator[CapturedLines]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield CapturedLines(stream)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
