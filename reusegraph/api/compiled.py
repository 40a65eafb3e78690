"""The compiled read path as the endpoint sees it: an answer as bytes, or why not."""

import logging
from typing import Any

from reusegraph.auth.principal import Principal
from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.freshness import Freshness
from reusegraph.compiler.runner import CompiledReads

log = logging.getLogger("reusegraph.compiler")


class CompiledPath:
    def __init__(self, compiler: Compiler, reads: CompiledReads, freshness: Freshness) -> None:
        self.compiler = compiler
        self.reads = reads
        self.freshness = freshness

    async def answer(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        viewer: Principal,
    ) -> bytes | str:
        """The whole response body, or the reason the executor must answer."""
        try:
            compiled = self.compiler.compile(query, operation_name, variables)
        except Exception:
            log.exception("the compiler failed on a document; the executor answers it")
            return "the compiler failed (logged)"
        if not isinstance(compiled, CompiledAnswer):
            return compiled
        if await self.freshness.any_stale():
            return "a source is stale (the executor names it in extensions)"
        data = await self.reads.run(viewer, compiled)
        if data is None:
            return "a filter names a code that is not registered"
        return b'{"data":' + data.encode() + b"}"

    async def close(self) -> None:
        await self.reads.close()
