"""Build the workers: one for workflows and record activities, one for email (rate-limited)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.audit import AuditActivities
from activities.campaign import CampaignActivities
from activities.email import EmailActivities, EmailDelivery
from activities.launch import LaunchActivities
from activities.records import RecordActivities
from activities.reviews import ReviewActivities
from activities.signing import SigningActivities
from models.labels import label
from pledgeflow.config import Settings
from pledgeflow.links import LinkSigner
from pledgeflow.mail.acceptance import AcceptanceJournal
from pledgeflow.mail.pacing import SendPacer
from pledgeflow.mail.render import EmailRenderer
from pledgeflow.mail.sender import SmtpConfig, SmtpSender
from services.notifications import LinkContext
from workflows.client import ActivityWorkflowCalls
from workflows.registry import WORKFLOWS


@dataclass
class Workers:
    main: Worker
    email: Worker

    def all(self) -> list[Worker]:
        return [self.main, self.email]


def smtp_config(settings: Settings) -> SmtpConfig:
    """SMTP connection settings from the environment."""
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )


def email_delivery(settings: Settings, engine: Engine) -> EmailDelivery:
    """The one object that renders and sends, shared by every email activity."""
    return EmailDelivery(
        engine=engine,
        renderer=EmailRenderer(settings.templates_dir, labels=label),
        sender=SmtpSender(smtp_config(settings)),
        links=LinkContext(
            signer=LinkSigner(settings.secret_key),
            base_url=settings.public_base_url,
            ttl=timedelta(days=settings.link_ttl_days),
        ),
        mail_from=settings.mail_from,
        pacer=SendPacer(settings.email_max_per_second),
        journal=AcceptanceJournal.for_database(settings.data_dir, settings.database_url),
    )


def compile_workflow_modules() -> None:
    """Write the bytecode of the workflow modules, best effort.

    The sandbox imports each workflow's module afresh for every workflow it runs; without
    bytecode (PYTHONDONTWRITEBYTECODE, a fresh container) that means compiling the source
    every time, a large share of a worker's CPU during a launch of thousands.
    """
    import compileall

    import workflows

    with contextlib.suppress(OSError):
        compileall.compile_dir(str(Path(workflows.__file__).parent), quiet=1)


def build_workers(client: Client, settings: Settings, engine: Engine) -> Workers:
    """The two workers of one worker process, with their activities bound to dependencies."""
    if settings.workflow_sandbox:
        compile_workflow_modules()
    delivery = email_delivery(settings, engine)
    records = RecordActivities(engine)
    calls = ActivityWorkflowCalls(client)
    launch = LaunchActivities(engine=engine, workflows=calls, delivery=delivery)
    campaign = CampaignActivities(engine=engine, workflows=calls, delivery=delivery)
    email = EmailActivities(delivery)
    main = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        workflow_runner=SandboxedWorkflowRunner()
        if settings.workflow_sandbox
        else UnsandboxedWorkflowRunner(),
        activities=[
            *records.activities(),
            *campaign.activities(),
            *ReviewActivities(engine).activities(),
            launch.plan_launch,
        ],
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_grace_seconds),
    )
    email_worker = Worker(
        client,
        task_queue=settings.email_task_queue,
        activities=[
            email.send_email,
            launch.invite_batch,
            campaign.announce_in_force,
            AuditActivities(engine=engine, delivery=delivery).email_checkpoint,
            SigningActivities(records=records, workflows=calls, delivery=delivery).complete_signature,
        ],
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_task_queue_activities_per_second=settings.email_max_per_second,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_grace_seconds),
    )
    return Workers(main=main, email=email_worker)
