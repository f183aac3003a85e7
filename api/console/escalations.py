"""The escalations inbox: open escalations across the campaigns a person may see, and "handled"."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console import formats
from api.console.flash import flash
from api.console.signed_in import ConsoleDep, StaffDep, staff_form
from api.deps import ContextDep, RecordId, SessionDep, campaign_for, require_writer
from models.common import utcnow
from models.escalation import EscalationStatus
from pledgeflow.errors import NotFound, not_found
from pledgeflow.i18n import N_
from services import escalations
from workflows import client as workflow_client
from workflows.pledge_messages import EscalationHandled

router = APIRouter(prefix="/console", include_in_schema=False)

INBOX = "/console/escalations"
DEFAULT_NOTE = "Marked handled in the console"


@router.get("/escalations")
def inbox(
    request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep, show: str = ""
) -> Response:
    """Open escalations, newest first; `?show=handled` lists the handled ones too."""
    require_writer(staff.user)
    handled = show == "handled"
    rows = escalations.inbox_for(session, user=staff.user, handled=handled)
    return tools.renderer.render(
        request, "console/escalations/inbox.html", staff=staff, entries=rows, show_handled=handled
    )


@router.post("/escalations/{escalation_id}/handle")
async def mark_handled(
    escalation_id: RecordId,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    context: ContextDep,
) -> Response:
    """Mark an escalation handled (who and when are recorded); its workflow stops that ladder."""
    form = await staff_form(request, tools, staff)
    row = escalations.get_or_raise(session, escalation_id)
    try:
        campaign_for(session, staff.user, row.campaign_id, write=True)
    except NotFound:
        # Another campaign's escalation reads as one that does not exist: ids tell nothing.
        raise not_found("escalation", escalation_id) from None
    if row.status is EscalationStatus.handled:
        return tools.renderer.redirect(
            INBOX, flash=flash(N_("Already handled by %(person)s."), person=formats.who(row.handled_by))
        )
    note = str(form.get("note") or "").strip()[:2000] or DEFAULT_NOTE
    session.commit()  # no database lock is held while Temporal answers
    # A finished workflow has no ladder left to stop (NotFound); the record still counts.
    with suppress(NotFound):
        await workflow_client.escalation_handled(
            await context.temporal(), row.workflow_id, EscalationHandled(escalation_id, staff.actor)
        )
    escalations.handle(session, escalation=row, note=note, actor=staff.actor, at=utcnow())
    session.commit()
    return tools.renderer.redirect(INBOX, flash=flash(N_("Escalation marked handled.")))
