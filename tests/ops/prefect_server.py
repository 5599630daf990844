"""Start and stop a real local Prefect server (and other processes) for the
slow integration tests: loopback only, temporary PREFECT_HOME, telemetry
off, every process in its own group and terminated in a ``finally``."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_EXTRA_LOGGERS": "koppel",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def start(
    argv: Sequence[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    """Start a process in its own group, output to ``log``."""
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        handle.close()


def stop(process: subprocess.Popen[Any], grace: float = 15.0) -> None:
    """Terminate a process group: SIGTERM, then SIGKILL after ``grace``."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def wait_healthy(api_url: str, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.Client(timeout=2).get(f"{api_url}/health").status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(
        f"prefect server not healthy in 90 s:\n{log.read_text()[-3000:]}"
    )


@contextlib.contextmanager
def prefect_server(workdir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A Prefect server on 127.0.0.1; yields (api url, env for clients)."""
    home = workdir / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = workdir / "prefect-server.log"
    server = start(
        [
            str(BIN / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--analytics-off",
            "--no-ui",
        ],
        prefect_env(home),
        log,
    )
    try:
        wait_healthy(api_url, server, log)
        yield api_url, prefect_env(home, api_url)
    finally:
        stop(server)


class Api:
    """Plain HTTP reads of the Prefect REST API (no Prefect client state)."""

    def __init__(self, api_url: str) -> None:
        self.url = api_url
        self.http = httpx.Client(base_url=api_url, timeout=30)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=body or {})
        response.raise_for_status()
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def deployments(self) -> list[dict[str, Any]]:
        return self.post("/deployments/filter", {"limit": 200})

    def flow_run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"/flow_runs/{run_id}")

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}
        return self.post("/artifacts/filter", body)

    def events(self, prefix: str) -> list[dict[str, Any]]:
        body = {"filter": {"event": {"prefix": [prefix]}}, "limit": 50}
        page = self.post("/events/filter", body)
        found = list(page.get("events", []))
        for _ in range(100):
            if not page.get("next_page"):
                break
            response = self.http.get(str(page["next_page"]))
            response.raise_for_status()
            page = response.json()
            found += page.get("events", [])
        return found

    def wait_final(self, run_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.flow_run(run_id)
            if run["state"] and run["state"]["type"] in (
                "COMPLETED",
                "FAILED",
                "CRASHED",
                "CANCELLED",
            ):
                return run
            time.sleep(1)
        raise TimeoutError(f"flow run {run_id} not final after {timeout} s: {run}")
