"""nginx in front of what a scenario serves: Conveyor's own gateway config, and the baselines."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from conveyor_testing import free_port

from .context import Bench
from .exceptions import Unavailable
from .infra import gateway_server, nginx_main, proxy_server
from .procs import Proc, wait_until


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Gateway:
    """One nginx process; ``add_*`` before ``start``, then read the ports."""

    def __init__(self, bench: Bench, name: str) -> None:
        self.bench = bench
        self.prefix = bench.work_dir / "nginx" / name
        self.blocks: list[str] = []
        self.ports: list[int] = []
        self.sources: list[str] = []
        self.proc: Proc | None = None

    def add_conveyor(self, job_api_port: int) -> int:
        """Route the gateway's paths to job-api on ``job_api_port``; return nginx's port."""
        port = free_port()
        block, source = gateway_server(
            f"127.0.0.1:{port}", f"127.0.0.1:{job_api_port}", self.prefix / "conveyor.log"
        )
        self.blocks.append(block)
        self.sources.append(source)
        self.ports.append(port)
        return port

    def add_proxy(self, name: str, upstream_port: int) -> int:
        """Proxy everything to ``upstream_port``; return nginx's port."""
        port = free_port()
        listen, upstream = f"127.0.0.1:{port}", f"127.0.0.1:{upstream_port}"
        self.blocks.append(proxy_server(name, listen, upstream, self.prefix / f"{name}.log"))
        self.ports.append(port)
        return port

    def start(self) -> Gateway:
        if shutil.which("nginx") is None:
            raise Unavailable("nginx is not installed")
        shutil.rmtree(self.prefix, ignore_errors=True)
        (self.prefix / "logs").mkdir(parents=True)
        servers = self.prefix / "servers.conf"
        servers.write_text("\n".join(self.blocks))
        config: Path = self.prefix / "nginx.conf"
        config.write_text(nginx_main(self.prefix, servers))
        argv = ["nginx", "-e", "stderr", "-p", str(self.prefix), "-c", str(config)]
        self.proc = Proc(
            f"nginx-{self.prefix.name}", argv, self.bench.log(f"nginx-{self.prefix.name}")
        )
        if not wait_until(lambda: all(_listening(p) for p in self.ports), 20):
            raise Unavailable(f"nginx did not start: {self.proc.tail(3)}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None
