"""`pledgeflow dev`: the whole stack in one process, on this machine, with nothing downloaded.

Temporal dev server (state in data/temporal.db), a local SMTP server whose mailbox is a web
page, the workers, the API, and a launched demo campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from models.staff_session import SignInReason
from models.user import Role
from pledgeflow.config import Settings
from pledgeflow.db import get_engine, session_scope
from pledgeflow.dev.binaries import temporal_cli
from pledgeflow.dev.demo import ACTOR as DEMO_ACTOR
from pledgeflow.dev.demo import ensure_demo_campaign, play_demo
from pledgeflow.dev.demo_plans import ensure_demo_programme
from pledgeflow.dev.mail_sink import MailSink
from pledgeflow.dev.mailbox_web import create_mailbox_app
from pledgeflow.links import LinkSigner
from pledgeflow.migrations import upgrade_to_head
from pledgeflow.private_files import private_folder
from pledgeflow.temporal import connect
from pledgeflow.worker import build_workers
from services import sign_in, users
from workflows import client as workflow_client

log = logging.getLogger("pledgeflow.dev")
DEMO_ADMIN_EMAIL = "admin@demo.example"


@dataclass
class Endpoints:
    api: str
    docs: str
    mailbox: str
    smtp: str
    temporal: str
    temporal_ui: str


class _SharedSignalsServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to the stack, which stops every part in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    # log_config=None: uvicorn's lines go to the root handler, which redacts link tokens.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", log_config=None)
    return _SharedSignalsServer(config)


async def _temporal(settings: Settings, stack: AsyncExitStack) -> tuple[Client, str, str]:
    if not settings.embedded_temporal:
        client = await connect(settings)
        return client, settings.temporal_address, "(the cluster's own Web UI)"
    private_folder(settings.data_dir)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(settings.data_dir / "temporal.db"),
        ip="127.0.0.1",
        port=settings.dev_server_port,
        ui=True,
        ui_port=settings.dev_server_ui_port,
        namespace=settings.temporal_namespace,
        dev_server_log_level="error",
    )
    stack.push_async_callback(env.shutdown)
    return (
        env.client,
        f"127.0.0.1:{settings.dev_server_port}",
        f"http://127.0.0.1:{settings.dev_server_ui_port}",
    )


def demo_admin_sign_in(engine: Engine, settings: Settings) -> str:
    """A sign-in link for the demo admin (made if new), valid as long as a session: the console's
    door for someone who has never used a terminal. Each start prints a new one."""
    with session_scope(engine) as session:
        admin = users.get_or_create_user(
            session, email=DEMO_ADMIN_EMAIL, name="Demo Admin", role=Role.admin, actor=DEMO_ACTOR
        )
        link = sign_in.make_link(
            session,
            user=admin,
            reason=SignInReason.sign_in,
            lifetime=timedelta(hours=settings.staff_session_hours),
            actor=DEMO_ACTOR,
        )
        token = sign_in.link_token(LinkSigner(settings.secret_key), link)
    return f"{settings.public_base_url}/sign-in/{token}"


def _banner(endpoints: Endpoints, token: str, campaign_id: int, sign_in_url: str) -> str:
    return "\n".join(
        [
            "",
            "pledgeflow is running (Ctrl-C stops everything):",
            "  Console: open this to sign in as the demo admin (works once)",
            f"    {sign_in_url}",
            f"  Demo campaign                     {endpoints.api}/console/campaigns/{campaign_id}",
            f"  Mailbox (invitations arrive here) {endpoints.mailbox}",
            f"  API                               {endpoints.api}",
            f"  API docs                          {endpoints.docs}",
            f"  Temporal Web UI (histories)       {endpoints.temporal_ui}",
            f"  Temporal frontend                 {endpoints.temporal}",
            f"  SMTP server                       {endpoints.smtp}",
            "",
            "  For scripts (the API):",
            f"  Demo coordinator token            {token}",
            f"  Try: curl -H 'Authorization: Bearer {token}' \\\n"
            f"         {endpoints.api}/campaigns/{campaign_id}/progress",
            "",
        ]
    )


async def run_dev_stack(settings: Settings) -> None:
    """Start everything, launch the demo campaign, print where things are, run until stopped."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    upgrade_to_head(settings.database_url)  # the same migrations as production
    engine = get_engine()
    async with AsyncExitStack() as stack:
        client, temporal_address, temporal_ui = await _temporal(settings, stack)
        sink = MailSink(
            host=settings.smtp_host, port=settings.smtp_port, maildir=settings.data_dir / "mailbox"
        )
        sink.start()
        stack.callback(sink.stop)

        workers = build_workers(client, settings, engine)
        for worker in workers.all():
            await stack.enter_async_context(worker)

        async def connect_embedded() -> Client:
            return client

        api = _server(
            create_app(settings, engine=engine, connect_temporal=connect_embedded),
            settings.api_host,
            settings.api_port,
        )
        mailbox = _server(create_mailbox_app(sink), "127.0.0.1", settings.mailbox_port)
        servers = [api, mailbox]
        tasks = [asyncio.create_task(s.serve()) for s in servers]

        demo = ensure_demo_campaign(engine)
        ensure_demo_programme(engine)
        sign_in_url = demo_admin_sign_in(engine, settings)
        await workflow_client.start_campaign(client, settings, demo.campaign_id)
        await workflow_client.ensure_checkpoint_schedule(client, settings)
        base = settings.public_base_url
        print(
            _banner(
                Endpoints(
                    api=base,
                    docs=f"{base}/docs",
                    mailbox=f"http://127.0.0.1:{settings.mailbox_port}",
                    smtp=f"{settings.smtp_host}:{settings.smtp_port}",
                    temporal=temporal_address,
                    temporal_ui=temporal_ui,
                ),
                demo.token,
                demo.campaign_id,
                sign_in_url,
            ),
            flush=True,
        )
        if demo.created:
            # Signatories act in the demo after the banner (the launch takes seconds), so that the
            # console's campaign page has a funnel, a decline and an escalation to show.
            tasks.append(asyncio.create_task(play_demo(client, engine, demo.campaign_id)))
        await stop.wait()
        print("stopping…", flush=True)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
