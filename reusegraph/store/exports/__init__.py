"""Exports of the processes list: the column set (``columns``), the rows from a server-side
cursor (``rows``) and the CSV/JSON/XLSX encodings (``formats``)."""
