"""Shared set-up for the benchmarks: real servers on this machine, workers in their own processes."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from models.campaign import CampaignCreate
from models.contact import Contact
from models.invitation import Invitation
from models.organisation import Organisation, OrganisationKind
from models.policy import ChasePolicy, QuietHours
from models.user import Role
from pledgeflow.db import create_tables, make_engine, session_scope
from services import campaigns, users
from tests.factories import PLEDGE

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def database(tmp: Path) -> tuple[str, Engine]:
    """PLEDGEFLOW_DATABASE_URL if set, else a fresh SQLite file."""
    url = os.environ.get("PLEDGEFLOW_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    create_tables(engine)
    return url, engine


def working_hours_policy() -> ChasePolicy:
    """Quiet hours that are not now (Accra is UTC): the common case, a launch in working hours.

    The rule is still applied to every invitation; at night it would hold them all till morning.
    """
    now = datetime.now(UTC)
    start, end = now + timedelta(hours=6), now + timedelta(hours=7)
    return ChasePolicy(
        quiet_hours=QuietHours.model_validate(
            {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "weekend": []}
        )
    )


def seed_campaign(engine: Engine, n: int, *, tag: str) -> tuple[int, list[int]]:
    """A draft campaign with n invited organisations (bulk insert: set-up is not what is measured)."""
    with session_scope(engine) as session:
        owner = users.get_or_create_user(
            session, email=f"bench-{tag}@example.org", name="Bench", role=Role.coordinator, actor="bench"
        )
        campaign = campaigns.create(
            session,
            data=CampaignCreate(
                title=f"Benchmark {tag}",
                region="GH",
                timezone="Africa/Accra",
                policy=working_hours_policy(),
            ),
            owner=owner,
            actor="bench",
        )
        campaigns.attach_pledge(session, campaign=campaign, data=PLEDGE, actor="bench")
        organisations = [
            Organisation(name=f"{tag} broker {i}", kind=OrganisationKind.customs_broker, country="GH")
            for i in range(n)
        ]
        session.add_all(organisations)
        session.flush()
        contacts = [
            Contact(organisation_id=o.id or 0, name=f"Contact {i}", email=f"c{i}@{tag}.example", locale="en")
            for i, o in enumerate(organisations)
        ]
        session.add_all(contacts)
        session.flush()
        invitations = [
            Invitation(campaign_id=campaign.id or 0, organisation_id=o.id or 0, contact_id=c.id or 0)
            for o, c in zip(organisations, contacts, strict=True)
        ]
        session.add_all(invitations)
        session.flush()
        campaigns.mark_launched(session, campaign=campaign, actor="bench")
        return campaign.id or 0, [i.id or 0 for i in invitations]


def worker_env(
    *, database_url: str, temporal: str, smtp_port: int, queue: str, base_url: str
) -> dict[str, str]:
    return {
        **os.environ,
        "PLEDGEFLOW_ENV": "test",
        "PLEDGEFLOW_SECRET_KEY": SECRET,
        "PLEDGEFLOW_DATABASE_URL": database_url,
        "PLEDGEFLOW_TEMPORAL_ADDRESS": temporal,
        "PLEDGEFLOW_TASK_QUEUE": queue,
        "PLEDGEFLOW_EMAIL_TASK_QUEUE": f"{queue}-email",
        "PLEDGEFLOW_SMTP_PORT": str(smtp_port),
        "PLEDGEFLOW_PUBLIC_BASE_URL": base_url,
        "PLEDGEFLOW_LOG_JSON": "false",
        # Hundreds of signers share one loopback address: the per-address limits would measure
        # themselves, not the signing path.
        "PLEDGEFLOW_RATE_LIMIT_ENABLED": "false",
    }


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child process (a worker or the API) whose memory we can read.

    BENCH_PROFILE=DIR records each child with py-spy into DIR (for finding where time goes).
    """
    profile_dir = os.environ.get("BENCH_PROFILE")
    if profile_dir:
        out = Path(profile_dir) / f"{Path(args[0]).name}-{len(os.listdir(profile_dir))}.txt"
        args = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--format",
            "raw",
            "-o",
            str(out),
            "--",
            *args,
        ]
    return subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def pledgeflow(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "pledgeflow"), *args]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MachineCpu:
    """How busy all of the machine's CPUs were between start() and busy() (from /proc/stat)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        idle = fields[3] + fields[4]  # idle and iowait
        return sum(fields) - idle, sum(fields)

    def busy(self) -> float:
        """The share of all CPU time that was busy, 0 to 1."""
        busy, total = self._read()
        return (busy - self._start[0]) / max(1, total - self._start[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    if os.environ.get("BENCH_PROFILE"):
        process.send_signal(signal.SIGINT)  # py-spy writes its profile and stops the child
        process.wait(timeout=60)
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(check, timeout: float, what: str, interval: float = 0.05) -> float:
    """Poll until check() is true; return the time it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


@dataclass
class Latencies:
    samples: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[index]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return self.percentile(99)
