"""Escalations: list them (open or handled, by level, by campaign) and mark them handled."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import (
    ContextDep,
    LevelFilter,
    RecordId,
    RecordIdFilter,
    SessionDep,
    UserDep,
    actor_of,
    campaign_for,
    require_writer,
)
from api.responses import ERRORS_READ, ERRORS_TEMPORAL
from models.common import utcnow
from models.escalation import EscalationHandle, EscalationPublic, EscalationStatus
from models.user import Role
from pledgeflow.errors import Conflict
from services import campaigns, escalations
from workflows import client as workflow_client
from workflows.pledge_messages import EscalationHandled

router = APIRouter(prefix="/escalations", tags=["escalations"])


@router.get("", response_model=list[EscalationPublic], responses=ERRORS_READ)
def list_escalations(
    session: SessionDep,
    user: UserDep,
    campaign_id: RecordIdFilter = None,
    status: EscalationStatus | None = None,
    level: LevelFilter = None,
) -> list[EscalationPublic]:
    """Escalations of the campaigns this token may see, newest first."""
    visible = None
    if user.role not in (Role.admin, Role.auditor):
        visible = [c.id for c in campaigns.list_for(session, user=user, limit=100000) if c.id is not None]
    if campaign_id is not None:
        campaign_for(session, user, campaign_id)
    return escalations.list_for(
        session, campaign_ids=visible, campaign_id=campaign_id, status=status, level=level
    )


@router.post("/{escalation_id}/handle", response_model=EscalationPublic, responses=ERRORS_TEMPORAL)
async def handle_escalation(
    escalation_id: RecordId, body: EscalationHandle, session: SessionDep, user: UserDep, context: ContextDep
) -> EscalationPublic:
    """Mark handled with a note; that stops the ladder for this invitation."""
    require_writer(user)
    row = escalations.get_or_raise(session, escalation_id)
    campaign_for(session, user, row.campaign_id, write=True)
    if row.status is EscalationStatus.handled:
        raise Conflict(f"escalation {escalation_id} was already handled by {row.handled_by}")
    # The workflow first: if Temporal is down nothing is recorded and the coordinator retries.
    session.commit()  # no database lock is held while Temporal answers
    await workflow_client.escalation_handled(
        await context.temporal(), row.workflow_id, EscalationHandled(escalation_id, actor_of(user))
    )
    escalations.handle(session, escalation=row, note=body.note, actor=actor_of(user), at=utcnow())
    session.commit()
    [public] = [
        e
        for e in escalations.list_for(session, campaign_ids=None, campaign_id=row.campaign_id)
        if e.id == escalation_id
    ]
    return public
