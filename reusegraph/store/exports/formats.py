"""CSV, JSON and XLSX encodings of the export, one batch of rows at a time.

CSV and JSON are produced as the rows arrive; a CSV file's rows come as its lines
(``export_rows(csv_lines=True)``: PostgreSQL writes them, see ``cells``). An XLSX file is a
zip whose directory comes last, so it is written to a temporary file first (xlsxwriter in
constant-memory mode, one row at a time, in a worker thread so the event loop keeps
serving) and then read out in chunks. Each format keeps the column's type: numbers as
numbers, dates as dates, booleans as booleans, empty as empty.
"""

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

import orjson
import xlsxwriter  # type: ignore[import-untyped]

from reusegraph.store.exports.columns import COLUMNS, Column, Kind

SHEET = "Processer"
CHUNK_BYTES = 64 * 1024
MAX_XLSX_TEXT = 32767


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


MEDIA_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.JSON: "application/json",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Batches = AsyncIterator[Sequence[Sequence[Any]]]


def _labelled(column: Column, value: Any) -> Any:
    if column.labels is None:
        return value
    if isinstance(value, list):
        return [column.labels.get(v, v) for v in value]
    return column.labels.get(value, value)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment


async def _csv(batches: Batches) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    yield "\ufeff".encode() + buffer.getvalue().encode()  # the BOM makes Excel read UTF-8
    async for lines in batches:
        yield "".join(cast(Sequence[str], lines)).encode()


def _json_value(column: Column, value: Any) -> Any:
    if value is None:
        return [] if column.kind is Kind.LIST else None
    if isinstance(value, Decimal):
        return int(value) if column.kind is Kind.INTEGER else float(value)
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


async def _json(batches: Batches) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for rows in batches:
        parts = []
        for row in rows:
            item = {c.key: _json_value(c, v) for c, v in zip(COLUMNS, row, strict=True)}
            parts.append(("\n" if first else ",\n").encode() + orjson.dumps(item))
            first = False
        yield b"".join(parts)
    yield b"\n]\n"


class _Sheet:
    """One worksheet written row by row (xlsxwriter's constant-memory mode)."""

    def __init__(self, path: str) -> None:
        self.book = xlsxwriter.Workbook(
            path,
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False},
        )
        self.sheet = self.book.add_worksheet(SHEET)
        self.formats: dict[Kind, Any] = {
            Kind.DATE: self.book.add_format({"num_format": "yyyy-mm-dd"}),
            Kind.DATETIME: self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            Kind.DECIMAL: self.book.add_format({"num_format": "0.00"}),
            Kind.LIST: self.book.add_format({"text_wrap": True}),
        }
        bold = self.book.add_format({"bold": True})
        for index, column in enumerate(COLUMNS):
            self.sheet.write_string(0, index, column.header, bold)
        self.sheet.freeze_panes(1, 0)
        self.rows = 1

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        writers: dict[Kind, Callable[..., Any]] = {
            Kind.INTEGER: self.sheet.write_number,
            Kind.DECIMAL: self.sheet.write_number,
            Kind.BOOLEAN: self.sheet.write_boolean,
            Kind.DATE: self.sheet.write_datetime,
            Kind.DATETIME: self.sheet.write_datetime,
        }
        for row in rows:
            for index, (column, raw) in enumerate(zip(COLUMNS, row, strict=True)):
                value = _labelled(column, raw)
                if value is None or value == "" or value == []:
                    continue
                kind = column.kind
                if kind is Kind.DATETIME:
                    value = _utc(value).replace(tzinfo=None)
                elif kind is Kind.DATE:
                    value = datetime(value.year, value.month, value.day)
                elif kind in (Kind.INTEGER, Kind.DECIMAL):
                    value = float(value)
                write = writers.get(kind)
                if write is not None:
                    write(self.rows, index, value, self.formats.get(kind))
                    continue
                text = "\n".join(map(str, value)) if kind is Kind.LIST else str(value)
                self.sheet.write_string(
                    self.rows, index, text[:MAX_XLSX_TEXT], self.formats.get(kind)
                )
            self.rows += 1

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.rows - 1, 1), len(COLUMNS) - 1)
        self.book.close()


async def _xlsx(batches: Batches) -> AsyncIterator[bytes]:
    handle, path = tempfile.mkstemp(prefix="reusegraph-export-", suffix=".xlsx")
    os.close(handle)
    try:
        sheet = await asyncio.to_thread(_Sheet, path)
        async for rows in batches:
            await asyncio.to_thread(sheet.write, rows)
        await asyncio.to_thread(sheet.close)
        file = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
                yield chunk
        finally:
            file.close()
    finally:
        os.unlink(path)


def encode(format: Format, batches: Batches) -> AsyncIterator[bytes]:
    """The export file as chunks of bytes, produced as ``batches`` are consumed."""
    if format is Format.CSV:
        return _csv(batches)
    if format is Format.JSON:
        return _json(batches)
    return _xlsx(batches)
