"""Separate processes for the fault suite: `pledgeflow worker` and `pledgeflow api`, started, killed
and restarted as an operator (or the kernel) would; their output goes to log files."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pledgeflow.config import Settings
from pledgeflow.dev.mail_sink import free_port
from tests.workerproc import worker_env

PLEDGEFLOW = str(Path(sys.executable).parent / "pledgeflow")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: nothing is finished, nothing is flushed."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.popen.poll() is not None:
            return self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def environment(settings: Settings, temporal_address: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a pledgeflow process for this test's queues, database and SMTP server."""
    return worker_env(
        settings,
        temporal_address,
        PLEDGEFLOW_DATA_DIR=str(data_dir),
        PLEDGEFLOW_WORKER_SHUTDOWN_GRACE_SECONDS="1",
        # Every simulated signer comes from 127.0.0.1: one address's link limit would throttle them all.
        PLEDGEFLOW_RATE_LIMIT_ENABLED="false",
        **extra,
    )


def start(name: str, arguments: list[str], env: dict[str, str], logs: Path) -> Process:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        popen = subprocess.Popen([PLEDGEFLOW, *arguments], env=env, stdout=sink, stderr=subprocess.STDOUT)
    return Process(name=name, popen=popen, log=log)


def start_worker(env: dict[str, str], logs: Path) -> Process:
    return start("worker", ["worker"], env, logs)


def start_api(env: dict[str, str], logs: Path, port: int | None = None) -> tuple[Process, str]:
    """`pledgeflow api` on a free port; returns once it answers /livez."""
    port = port or free_port()
    process = start("api", ["api", "--host", "127.0.0.1", "--port", str(port)], env, logs)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"pledgeflow api exited:\n{process.output()}")
        try:
            if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"pledgeflow api did not start:\n{process.output()}")
