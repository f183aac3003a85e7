"""`pledgeflow campaign ...` and `pledgeflow escalations ...`: the coordinator's actions."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from temporalio.client import Client

from models.common import utcnow
from models.escalation import EscalationStatus
from pledgeflow.cli.support import cli_actor, client_and_settings, fail, fail_with
from pledgeflow.config import Settings
from pledgeflow.db import get_engine, session_scope
from pledgeflow.errors import PledgeflowError
from services import campaigns, escalations, invitations
from workflows import client as workflow_client
from workflows.campaign_messages import AddInvitees, EndCampaign, ExtendDeadline, RemindNow
from workflows.pledge_messages import DeadlineChange, EscalationHandled, ReopenRequest

campaign_app = typer.Typer(help="Launch and steer campaigns.", no_args_is_help=True)
escalation_app = typer.Typer(help="Escalations: list them, mark them handled.", no_args_is_help=True)

T = TypeVar("T")


def _run(action: Callable[[Settings, Client], Awaitable[T]]) -> T:
    settings, connecting = client_and_settings()

    async def go() -> T:
        return await action(settings, await connecting)

    try:
        return asyncio.run(go())
    except PledgeflowError as exc:
        fail_with(exc)


def _echo(value: Any) -> None:
    typer.echo(json.dumps(_plain(value), indent=2, default=str))


def _plain(value: Any) -> Any:
    """Dataclasses (a workflow's query results), nested ones too, as dicts that JSON can print."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@campaign_app.command("launch")
def launch(campaign_id: int) -> None:
    """Freeze the pledge and start the campaign workflow (launching twice invites no one twice)."""

    async def action(settings: Settings, client: Client) -> str:
        with session_scope(get_engine()) as session:
            campaign = campaigns.get_or_raise(session, campaign_id)
            campaigns.mark_launched(session, campaign=campaign, actor=cli_actor())
        return await workflow_client.start_campaign(client, settings, campaign_id)

    typer.echo(f"launched: workflow {_run(action)}")


@campaign_app.command("progress")
def progress(campaign_id: int) -> None:
    """The campaign workflow's tally, groups and status, as JSON."""

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.campaign_progress(client, campaign_id)

    _echo(_run(action))


@campaign_app.command("add-invitees")
def add_invitees(
    campaign_id: int,
    organisations: Annotated[list[str], typer.Argument(help="ORG or ORG:CONTACT ids")],
) -> None:
    """Invite more organisations to a launched campaign, at once."""
    org_ids: list[int] = []
    contact_ids: list[int | None] = []
    for spec in organisations:
        org, _, contact = spec.partition(":")
        if not org.isdigit() or (contact and not contact.isdigit()):
            fail(f"'{spec}' is not ORG or ORG:CONTACT (numbers)")
        org_ids.append(int(org))
        contact_ids.append(int(contact) if contact else None)

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.add_invitees(
            client, campaign_id, AddInvitees(org_ids, contact_ids, cli_actor())
        )

    typer.echo(f"invited {_run(action).invitations} organisation(s)")


@campaign_app.command("extend-deadline")
def extend_deadline(
    campaign_id: int,
    deadline: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    notify: Annotated[bool, typer.Option(help="Email those who have not answered the new date")] = True,
) -> None:
    """Move the signature deadline later; those who have not answered are told (unless --no-notify)."""
    new_deadline = _date(deadline)

    async def action(settings: Settings, client: Client) -> Any:
        with session_scope(get_engine()) as session:
            campaigns.check_new_deadline(campaigns.get_or_raise(session, campaign_id), new_deadline)
        return await workflow_client.extend_campaign_deadline(
            client, campaign_id, ExtendDeadline(deadline, cli_actor(), notify=notify)
        )

    typer.echo(f"deadline is now {_run(action)}")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"'{value}' is not a date (YYYY-MM-DD)")


@campaign_app.command("remind")
def remind(
    campaign_id: int,
    invitations: Annotated[
        list[int] | None, typer.Argument(help="Invitation ids (all open ones when none)")
    ] = None,
) -> None:
    """Send a reminder now to these open invitations, or to everyone who has not answered."""

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.remind_now(
            client, campaign_id, RemindNow(actor=cli_actor(), invitation_ids=invitations or None)
        )

    typer.echo(f"reminded {_run(action).reminded} invitation(s)")


@campaign_app.command("next-review-cycle")
def next_review_cycle(campaign_id: int) -> None:
    """Open every signatory's next review cycle now (the pact must be in force)."""

    async def action(settings: Settings, client: Client) -> int:
        return await workflow_client.open_next_review_cycle(client, campaign_id, cli_actor())

    typer.echo(f"review cycle {_run(action)} is open")


@campaign_app.command("cancel")
def cancel(
    campaign_id: int, reason: Annotated[str, typer.Option(help="Told to everyone invited")] = ""
) -> None:
    """Cancel a launched campaign: everyone invited is told."""

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.cancel_campaign(client, campaign_id, EndCampaign(cli_actor(), reason))

    typer.echo(f"campaign {campaign_id}: {_run(action)}")


@campaign_app.command("close")
def close(campaign_id: int, reason: Annotated[str, typer.Option()] = "") -> None:
    """Close a campaign: no more answers are taken."""

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.close_campaign(client, campaign_id, EndCampaign(cli_actor(), reason))

    typer.echo(f"campaign {campaign_id}: {_run(action)}")


@campaign_app.command("lifecycle")
def lifecycle(campaign_id: int) -> None:
    """The coordinator actions taken on the campaign, with who took them."""

    async def action(settings: Settings, client: Client) -> Any:
        return await workflow_client.campaign_lifecycle(client, campaign_id)

    _echo(_run(action))


def _pledge_of(invitation_id: int) -> tuple[int, int, str]:
    with session_scope(get_engine()) as session:
        invitation = invitations.get_or_raise(session, invitation_id)
        zone = campaigns.get_or_raise(session, invitation.campaign_id).timezone
        return invitation.campaign_id, invitation.organisation_id, zone


@campaign_app.command("reopen")
def reopen(invitation_id: int, deadline: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Reopen an expired invitation until a new deadline; the contact gets a fresh link."""
    _date(deadline)

    async def action(settings: Settings, client: Client) -> Any:
        campaign_id, organisation_id, zone = _pledge_of(invitation_id)
        return await workflow_client.reopen(
            client, campaign_id, organisation_id, ReopenRequest(deadline, zone, cli_actor())
        )

    typer.echo(f"invitation {_run(action).invitation_id} reopened until {deadline}")


@campaign_app.command("extend-invitation")
def extend_invitation(
    invitation_id: int, deadline: Annotated[str, typer.Argument(help="YYYY-MM-DD")]
) -> None:
    """Extend one organisation's deadline; its reminders are re-planned."""
    _date(deadline)

    async def action(settings: Settings, client: Client) -> Any:
        campaign_id, organisation_id, zone = _pledge_of(invitation_id)
        return await workflow_client.extend_pledge_deadline(
            client, campaign_id, organisation_id, DeadlineChange(deadline, zone, cli_actor())
        )

    typer.echo(f"invitation {invitation_id}: deadline is now {_run(action)}")


@escalation_app.command("list")
def list_escalations(
    campaign: Annotated[int | None, typer.Option(help="Only this campaign")] = None,
    status: Annotated[EscalationStatus | None, typer.Option(help="open or handled")] = None,
    level: Annotated[int | None, typer.Option(help="Only this ladder level")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Escalations, newest first."""
    with session_scope(get_engine()) as session:
        rows = escalations.list_for(
            session, campaign_ids=None, campaign_id=campaign, status=status, level=level
        )
    if as_json:
        _echo([row.model_dump(mode="json") for row in rows])
        return
    for row in rows:
        typer.echo(
            f"#{row.id:<5} {row.status.value:<8} level {row.level} campaign {row.campaign_id} "
            f"{row.organisation_name} -> {row.recipient_role} <{row.recipient_email}> "
            f"{row.created_at:%Y-%m-%d %H:%M}" + (f" handled: {row.note}" if row.note else "")
        )
    if not rows:
        typer.echo("no escalations")


@escalation_app.command("handle")
def handle_escalation(escalation_id: int, note: Annotated[str, typer.Option(help="What was done")]) -> None:
    """Mark an escalation handled; the ladder stops for that invitation."""
    if not note.strip():
        fail("--note: say what was done")

    async def action(settings: Settings, client: Client) -> None:
        with session_scope(get_engine()) as session:
            row = escalations.get_or_raise(session, escalation_id)
            if row.status is EscalationStatus.handled:
                fail(f"escalation {escalation_id} was already handled by {row.handled_by}")
            workflow_id = row.workflow_id
        await workflow_client.escalation_handled(
            client, workflow_id, EscalationHandled(escalation_id, cli_actor())
        )
        with session_scope(get_engine()) as session:
            row = escalations.get_or_raise(session, escalation_id)
            escalations.handle(session, escalation=row, note=note, actor=cli_actor(), at=utcnow())

    _run(action)
    typer.echo(f"escalation {escalation_id} handled; its ladder stops")
