"""A TCP proxy that breaks the network between a service and its dependency on demand:
latency on every chunk, every open connection dropped at once, or a blackhole (nothing
passes either way) until healed.

Written here because no package from the registries we use does it: Toxiproxy is a Go
server and ``fault`` a Rust one, both installed from outside them (their PyPI clients,
``toxiproxy-python`` and ``chaostoolkit-fault``, drive that binary), and the plain PyPI TCP
proxies (``asyncproxy``, ``pproxy``) inject no faults. One asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any

from conveyor_testing import free_port

CHUNK = 65_536


class FaultProxy:
    """Listens on ``127.0.0.1:port`` and forwards to ``upstream``; faults apply to every
    connection, open or new, from the moment they are set."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.latency = 0.0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *_: object) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._cut()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    async def _cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, as when a NAT or firewall forgets the flow
        self._writers.clear()

    async def _accept(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # cancelled: the proxy is closing
            await self._forward(client_in, client)

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        self.connections += 1
        self._writers.add(client)
        await self._flowing.wait()  # a blackholed connect gets no answer until the heal
        try:
            upstream_in, upstream = await asyncio.open_connection(*self.upstream)
        except OSError:
            client.transport.abort()
            return
        self._writers.add(upstream)
        await asyncio.gather(self._pump(client_in, upstream), self._pump(upstream_in, client))

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(CHUNK):
                if self.latency:
                    await asyncio.sleep(self.latency)
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.close()
        self._writers.discard(sink)

    def add_latency(self, seconds: float) -> None:
        """Hold every chunk ``seconds`` before passing it on (0 to stop)."""
        self.latency = seconds

    def drop(self) -> None:
        """Reset every open connection now; new ones pass as before."""
        self._call(self._cut())

    def blackhole(self, cut: bool = False) -> None:
        """Pass nothing until :meth:`heal`: bytes on open connections wait (a partition
        TCP cannot see: the peer's kernel still acknowledges them) and new connections are
        accepted but get no answer. With ``cut``, open connections are reset first."""
        assert self._flowing is not None
        self._loop.call_soon_threadsafe(self._flowing.clear)
        if cut:
            self.drop()

    def heal(self) -> None:
        """Let everything through again; what waited is delivered, as TCP retransmits."""
        assert self._flowing is not None
        self._loop.call_soon_threadsafe(self._flowing.set)
