"""The compiled read path as the endpoint sees it: an answer as bytes, or why not."""

import logging
from typing import Any

import orjson
from graphql import DocumentNode
from starlette.requests import Request

from reusegraph.api.graphiql import example_queries
from reusegraph.auth.principal import Principal
from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.counting import count_objects_in_json
from reusegraph.compiler.freshness import Freshness
from reusegraph.compiler.runner import CompiledReads
from reusegraph.schema.limits.budget import Limits, admit, caller_from
from reusegraph.store.errors import DatabaseUnavailable

log = logging.getLogger("reusegraph.compiler")


class CompiledPath:
    def __init__(
        self, compiler: Compiler, reads: CompiledReads, freshness: Freshness, limits: Limits
    ) -> None:
        self.compiler = compiler
        self.reads = reads
        self.freshness = freshness
        self.limits = limits

    async def answer(
        self,
        request: Request,
        document: DocumentNode,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        viewer: Principal,
    ) -> bytes | str:
        """The whole response body, or the reason the executor must answer.

        The cost limit and the caller's budget are the executor's (``admit``): a refusal
        leaves the request to the executor, which answers it (a refused charge takes
        nothing from the budget)."""
        try:
            compiled = self.compiler.compile(query, operation_name, variables)
        except Exception:
            log.exception("the compiler failed on a document; the executor answers it")
            return "the compiler failed (logged)"
        if not isinstance(compiled, CompiledAnswer):
            return compiled
        if await self.freshness.any_stale():
            return "a source is stale (the executor names it in extensions)"
        caller = caller_from(self.limits, request, viewer)
        schema = self.compiler.schema
        admission = await admit(self.limits, schema, document, operation_name, variables, caller)
        if admission.refusal is not None:
            return "refused by the cost limit or the budget"
        data = await self.reads.run(viewer, compiled)
        if data is None:
            return "a filter names an unregistered code, or a source is stale"
        body = data.encode()
        report = admission.report(self.limits, actual=count_objects_in_json(body))
        if not report:
            return b'{"data":' + body + b"}"
        return b'{"data":' + body + b',"extensions":' + orjson.dumps(report) + b"}"

    async def open(self) -> None:
        """Warm the compiled pool with the GraphiQL examples as an anonymous caller asks
        them: what analysts run first, and between them every table a read touches."""
        warm_up = []
        for query in example_queries():
            compiled = self.compiler.compile(query, None, None)
            if isinstance(compiled, CompiledAnswer):
                warm_up.append(compiled)
        try:
            await self.reads.open(warm_up)
        except DatabaseUnavailable as error:
            log.warning("the compiled pool could not warm up: %s", error)

    async def close(self) -> None:
        await self.reads.close()
