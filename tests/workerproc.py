"""Run `pledgeflow worker` as a separate process, as production does, to stop or kill it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from pledgeflow.config import Settings


def worker_env(settings: Settings, temporal_address: str, **extra: str) -> dict[str, str]:
    """The environment of a worker process for this test's queues, database and SMTP server."""
    return {
        **os.environ,
        "PLEDGEFLOW_ENV": "test",
        "PLEDGEFLOW_SECRET_KEY": settings.secret_key,
        "PLEDGEFLOW_DATABASE_URL": settings.database_url,
        "PLEDGEFLOW_TEMPORAL_ADDRESS": temporal_address,
        "PLEDGEFLOW_TASK_QUEUE": settings.task_queue,
        "PLEDGEFLOW_EMAIL_TASK_QUEUE": settings.email_task_queue,
        "PLEDGEFLOW_SMTP_HOST": settings.smtp_host,
        "PLEDGEFLOW_SMTP_PORT": str(settings.smtp_port),
        "PLEDGEFLOW_PUBLIC_BASE_URL": settings.public_base_url,
        **extra,
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A worker process; its output goes to the test's output on failure."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "pledgeflow"), "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no chance to finish anything."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM: the worker finishes what it holds, then exits."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)
