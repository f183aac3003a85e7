"""The campaigns a person may see, with where each stands."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.signed_in import ConsoleDep, StaffDep
from api.deps import SessionDep
from services import campaign_progress, campaigns

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/campaigns")
def campaign_list(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    """Own and shared campaigns (admins and auditors: all), newest first, with their counts."""
    rows = campaigns.list_for(session, user=staff.user, offset=0, limit=500)
    tallies = campaign_progress.tallies(session, [c.id for c in rows if c.id is not None])
    return tools.renderer.render(
        request, "console/campaigns/list.html", staff=staff, campaigns=rows, tallies=tallies
    )
