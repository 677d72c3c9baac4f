"""Run the sandbox as a foreground process: `nps-connector sandbox`."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from connector.sandbox.demo import generate_portal
from connector.sandbox.fixture import read_fixture
from connector.sandbox.server import Sandbox, SandboxHTTPServer, SandboxOptions


def build_fixture(fixture: Path | None, demo_size: int | None, seed: int) -> dict[str, Any]:
    """The portal to serve: a fixture file, a generated demo portal, or an empty portal."""
    if fixture is not None and demo_size is not None:
        raise ValueError("give either --fixture or --demo-portal, not both")
    if fixture is not None:
        return read_fixture(fixture)
    if demo_size is not None:
        return generate_portal(demo_size, seed=seed)
    return {}


def run_sandbox(fixture: dict[str, Any], options: SandboxOptions, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; the first stdout line is `listening on http://HOST:PORT`."""
    server = SandboxHTTPServer((host, port), Sandbox(fixture, options))
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal handler signature
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    sys.stdout.write(f"listening on {server.url}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(1.0):
            server.sandbox.save_state()  # a checkpoint; every write was journaled before its answer
    finally:
        server.shutdown()
        server.server_close()
        server.sandbox.save_state()
