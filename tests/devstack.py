"""Run `pledgeflow dev` as a subprocess on free ports, the way a newcomer runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pledgeflow.dev.mail_sink import free_port

BANNER_TOKEN = re.compile(r"Demo coordinator token\s+(pf_\S+)")
BANNER_CAMPAIGN = re.compile(r"Demo campaign\s+\S+/campaigns/(\d+)")


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    api: str
    mailbox: str
    temporal: str
    token: str
    demo_campaign_id: int
    output: list[str]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_dev_stack(
    data_dir: Path, extra_env: dict[str, str] | None = None, timeout: float = 90
) -> RunningStack:
    """Start the stack and wait for its banner."""
    ports = {name: free_port() for name in ("api", "mailbox", "smtp", "temporal", "ui")}
    env = {
        **os.environ,
        "PLEDGEFLOW_DATA_DIR": str(data_dir),
        "PLEDGEFLOW_API_PORT": str(ports["api"]),
        "PLEDGEFLOW_MAILBOX_PORT": str(ports["mailbox"]),
        "PLEDGEFLOW_SMTP_PORT": str(ports["smtp"]),
        "PLEDGEFLOW_DEV_SERVER_PORT": str(ports["temporal"]),
        "PLEDGEFLOW_DEV_SERVER_UI_PORT": str(ports["ui"]),
        "PLEDGEFLOW_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['api']}",
        **(extra_env or {}),
    }
    env.pop("PLEDGEFLOW_DATABASE_URL", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pledgeflow"), "dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + timeout
    token = campaign = None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        if not line:
            time.sleep(0.1)
            continue
        output.append(line)
        if m := BANNER_TOKEN.search(line):
            token = m.group(1)
        if m := BANNER_CAMPAIGN.search(line):
            campaign = int(m.group(1))
        if token and campaign and "Try:" in line:
            return RunningStack(
                process=process,
                api=f"http://127.0.0.1:{ports['api']}",
                mailbox=f"http://127.0.0.1:{ports['mailbox']}",
                temporal=f"127.0.0.1:{ports['temporal']}",
                token=token,
                demo_campaign_id=campaign,
                output=output,
            )
    process.kill()
    raise RuntimeError("pledgeflow dev did not start:\n" + "".join(output))
