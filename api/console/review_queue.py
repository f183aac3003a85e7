"""The reviewer's queue: reports to review, due, sent back and overdue, linking to the review pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.signed_in import ConsoleDep, StaffDep
from api.deps import ContextDep, SessionDep, require_role
from models.common import utcnow
from models.user import Role
from services.notifications.base import LinkContext
from services.notifications.reviews import review_link
from services.reviews import queue

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/reviews")
def review_queue(
    request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep, context: ContextDep
) -> Response:
    """The reports of the campaigns that name this reviewer (admins: all), grouped by state."""
    require_role(staff.user, Role.reviewer, Role.admin)
    now = utcnow()
    grouped = queue.queue_for(session, user=staff.user, now=now)
    # The review page takes a signed link naming the reviewer; one is made for each version shown,
    # and only for a person the campaign names (an admin who is not named has no review page).
    links = LinkContext(signer=context.links, base_url="", ttl=timedelta(days=context.settings.link_ttl_days))
    urls = {
        entry.reviewable.id: review_link(links, entry.reviewable, staff.user.email, now)
        for entries in grouped.values()
        for entry in entries
        if entry.reviewable is not None and queue.named_reviewer(session, entry.report, staff.user)
    }
    return tools.renderer.render(
        request,
        "console/reviews/queue.html",
        staff=staff,
        groups=[(state, grouped[state]) for state in queue.STATES],
        urls=urls,
        total=sum(len(entries) for entries in grouped.values()),
    )
