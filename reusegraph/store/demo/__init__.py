"""The demo data set: the real cases from the source documents plus clearly fictional filler.

It exists so that a fresh install (and every test) has data worth querying: the facts in
``shared/domain/facts.md`` must come back exactly, and the filler gives lists, search and
aggregates enough rows to be meaningful. ``loader.load_demo`` is the entry point.
"""
