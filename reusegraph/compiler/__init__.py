"""Compiled reads: a query's selection becomes one SQL statement whose result is the
response's ``data``, written by PostgreSQL as JSON text.

The executor (graphql-core + Strawberry + DataLoaders) builds an object per field in
Python: about 45 µs per object returned. Here the plan for a document is made once
(``plans``), its SQL runs under the same role, settings and row-level security as every
other read (``runner``), and Python wraps the text without parsing it. Whatever the
compiler does not know (a field, an argument, a filter that needs a lookup) raises
``NotCompilable`` at plan time, and the executor answers that operation instead.
"""

from reusegraph.compiler.errors import NotCompilable
from reusegraph.compiler.plans import CompiledAnswer, Compiler

__all__ = ["CompiledAnswer", "Compiler", "NotCompilable"]
