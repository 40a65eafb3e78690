"""The official municipality lists shipped as data (CSV files here; see README.md)."""
