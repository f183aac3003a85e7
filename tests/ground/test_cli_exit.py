"""The `pledgeflow` script as a user runs it: exit codes and what a failure prints."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from models.user import Role
from pledgeflow.config import Settings
from tests import factories
from tests.helpers import running_workers
from tests.workerproc import worker_env
from workflows import client as workflow_client

PLEDGEFLOW = str(Path(sys.executable).parent / "pledgeflow")
pytestmark = pytest.mark.any_database  # exit codes and what a failure prints


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def run_cli(env: dict[str, str], *args: str, timeout: float = 60) -> Ran:
    """Run the installed `pledgeflow` script in its own process."""
    process = await asyncio.create_subprocess_exec(
        PLEDGEFLOW,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@pytest.mark.devserver
async def test_commands_that_reached_temporal_exit_0_every_time(dev_env, settings: Settings, db, mailbox):
    """20 runs against a real dev server; on main about 1 in 5 aborted with 134 at interpreter exit."""
    first_deadline = date.today() + timedelta(days=30)
    seeded = factories.campaign_with_invitees(db, count=1, deadline=first_deadline)
    campaign_id = seeded.campaign.id or 0
    factories.launch(db, campaign_id)
    env = worker_env(settings, dev_env.client.service_client.config.target_host)
    cid = str(campaign_id)
    async with running_workers(dev_env.client, settings, db):
        await workflow_client.start_campaign(dev_env.client, settings, campaign_id)
        await mailbox.wait_for_async(1)
        runs: list[Ran] = []
        for day in range(1, 11):  # two processes at a time: an update and a query
            deadline = (first_deadline + timedelta(days=day)).isoformat()
            runs += await asyncio.gather(
                run_cli(env, "campaign", "extend-deadline", cid, deadline),
                run_cli(env, "campaign", "progress", cid),
            )
    assert [r.code for r in runs] == [0] * 20, [r.err for r in runs if r.code]
    assert [r for r in runs if "Fatal Python error" in r.err] == []
    extended = [r.out.strip() for r in runs[::2]]
    assert extended == [f"deadline is now {first_deadline + timedelta(days=d)}" for d in range(1, 11)]


@pytest.mark.devserver
async def test_two_checkpoints_from_the_command_line_both_email(dev_env, settings: Settings, db, mailbox):
    """`pledgeflow audit checkpoint` twice at once: two runs, two emails, none skipped."""
    factories.coordinator(db, email="auditor@oversight.example", role=Role.auditor)
    env = worker_env(settings, dev_env.client.service_client.config.target_host)
    async with running_workers(dev_env.client, settings, db):
        runs = await asyncio.gather(*(run_cli(env, "audit", "checkpoint") for _ in range(2)))
        # Generous: once, on a loaded machine, the second email took longer than the default 30 s.
        mails = await mailbox.wait_for_async(2, timeout=90, subject_contains="Audit checkpoint")
    assert [r.code for r in runs] == [0, 0], [r.err for r in runs]
    started = {r.out.split()[1] for r in runs}
    assert len(started) == 2 and all(w.startswith(workflow_client.MANUAL_CHECKPOINT_PREFIX) for w in started)
    assert [m.recipients for m in mails] == [["auditor@oversight.example"]] * 2


@pytest.fixture
def empty_database_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose database file exists but was never migrated."""
    (tmp_path / "new.db").touch()
    return {
        **os.environ,
        "PLEDGEFLOW_ENV": "test",
        "PLEDGEFLOW_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PLEDGEFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
        "PLEDGEFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }


async def test_an_unmigrated_database_gets_one_line_naming_the_upgrade(empty_database_env):
    """Each command says which table is missing and what to run, and exits 2: no traceback."""
    commands = {
        ("audit", "verify"): "audit_head",
        ("escalations", "list"): "escalation",
        ("reports", "summary", "1"): "campaign",
        ("escalations", "list", "--json", "--status", "open"): "escalation",
        ("reports", "summary", "1", "--csv"): "campaign",
    }
    runs = await asyncio.gather(*(run_cli(empty_database_env, *args) for args in commands))
    for (args, table), ran in zip(commands.items(), runs, strict=True):
        assert (ran.code, ran.out, ran.err) == (
            2,
            "",
            f"error: the database is not migrated (no such table: {table}): run `pledgeflow db upgrade`\n",
        ), args


async def test_bad_settings_and_an_unreachable_temporal_get_one_line(empty_database_env):
    """Neither a settings error nor a refused connection prints a traceback or local variables."""
    bad_env, unreachable = await asyncio.gather(
        run_cli({**empty_database_env, "PLEDGEFLOW_ENV": "staging"}, "audit", "verify"),
        run_cli(empty_database_env, "campaign", "launch", "1"),
    )
    assert (bad_env.code, bad_env.out, bad_env.err) == (
        2,
        "",
        "error: invalid settings: PLEDGEFLOW_ENV: Input should be 'development', 'test' or 'production'\n",
    )
    assert unreachable.code == 2 and unreachable.out == ""
    [line] = unreachable.err.splitlines()
    assert line.startswith("error: Temporal at 127.0.0.1:1 is unreachable: ")


def test_an_unexpected_error_is_one_line_and_no_command_shows_local_variables():
    from pledgeflow.cli.errors import describe
    from pledgeflow.cli.main import app

    assert describe(KeyError("campaign")) == (
        1,
        "unexpected KeyError: 'campaign' (PLEDGEFLOW_DEBUG=1 shows the traceback)",
    )
    assert (app.pretty_exceptions_enable, app.pretty_exceptions_show_locals) == (False, False)


@pytest.mark.postgres
async def test_an_unmigrated_postgresql_database_gets_the_same_line(tmp_path):
    from tests.system.test_migrations import temporary_postgres_database

    with temporary_postgres_database(prefix="pf_cli") as url:
        env = {
            **os.environ,
            "PLEDGEFLOW_ENV": "test",
            "PLEDGEFLOW_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "PLEDGEFLOW_DATABASE_URL": url,
        }
        ran = await run_cli(env, "audit", "verify")
    assert (ran.code, ran.out, ran.err) == (
        2,
        "",
        'error: the database is not migrated (relation "audit_head" does not exist): '
        "run `pledgeflow db upgrade`\n",
    )
