"""What a client sends: the body of each write request, through aiohttp's tracing."""

from __future__ import annotations

from typing import Any

import aiohttp


def write_tracer() -> tuple[aiohttp.TraceConfig, list[bytearray]]:
    """A trace config recording the body of each write request (requests in flight at
    once each have their own trace context)."""
    bodies: list[bytearray] = []

    async def on_request_start(session: Any, context: Any, params: Any) -> None:
        del session
        if params.url.path.endswith("/write"):
            context.body = bytearray()
            bodies.append(context.body)

    async def on_request_chunk_sent(session: Any, context: Any, params: Any) -> None:
        del session
        if params.url.path.endswith("/write"):
            context.body += params.chunk

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    trace.on_request_chunk_sent.append(on_request_chunk_sent)
    return trace, bodies
