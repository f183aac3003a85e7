"""A programme in the console: Arusha factors by countries for a year, beside the year before, with
filters by factor, UNCAC provision and year, and each country's campaigns and plans."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from api.console.plans import plan_figures
from api.console.signed_in import ConsoleDep, Staff, StaffDep
from api.console.tables import download
from api.deps import SessionDep
from models.arusha import ArushaFactor
from models.organisation import Organisation
from models.uncac import UncacProvision
from services import campaigns
from services.plans import exports, figures, plans

router = APIRouter(prefix="/console", include_in_schema=False)

Year = Annotated[int | None, Query(ge=2000, le=2100)]
FactorChoice = Annotated[ArushaFactor | None, Query()]
ProvisionChoice = Annotated[UncacProvision | None, Query(alias="uncac")]


@router.get("/programmes")
def programme_list(request: Request, tools: ConsoleDep, session: SessionDep, staff: StaffDep) -> Response:
    rows = [(p, plans.countries(session, p.id or 0)) for p in plans.programmes(session)]
    return tools.renderer.render(request, "console/programmes/list.html", staff=staff, rows=rows)


def _grid(
    session: Session,
    staff: Staff,
    slug: str,
    year: int | None,
    factor: ArushaFactor | None,
    provision: UncacProvision | None,
) -> tuple[figures.Grid, list[figures.PlanFigures]]:
    programme = plans.programme_by_slug(session, slug)
    shown = [
        f
        for plan in plans.list_for(session, user=staff.user, programme_id=programme.id)
        if (f := plan_figures(session, plan)) is not None
    ]
    grid = figures.grid(
        session,
        figures=shown,
        countries=plans.countries(session, programme.id or 0),
        year=year or date.today().year,
        factor=factor,
        provision=provision,
    )
    return grid, shown


@router.get("/programmes/{slug}")
def programme_page(
    slug: str,
    request: Request,
    tools: ConsoleDep,
    session: SessionDep,
    staff: StaffDep,
    year: Year = None,
    factor: FactorChoice = None,
    provision: ProvisionChoice = None,
) -> Response:
    """The grid, the filters, and per country the campaigns and plans this person may see."""
    programme = plans.programme_by_slug(session, slug)
    grid, shown = _grid(session, staff, slug, year, factor, provision)
    visible = campaigns.list_for(session, user=staff.user, limit=1000)
    own_campaigns = [
        c for c in visible if c.programme_id == programme.id or (c.country and c.country in grid.countries)
    ]
    by_country: dict[str, dict[str, list[object]]] = {}
    for campaign in own_campaigns:
        by_country.setdefault(campaign.country or "", {"campaigns": [], "plans": []})["campaigns"].append(
            campaign
        )
    for plan_figures_ in shown:
        by_country.setdefault(plan_figures_.plan.country, {"campaigns": [], "plans": []})["plans"].append(
            plan_figures_.plan
        )
    administrations = {
        o.id: o
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_([f.plan.organisation_id for f in shown]))
        ).all()
    }
    # Columns for the countries with a plan this person may see; the others are named below the grid.
    planned = sorted({f.plan.country for f in shown})
    return tools.renderer.render(
        request,
        "console/programmes/programme.html",
        columns=[c for c in grid.countries if c in planned],
        unplanned=[c for c in grid.countries if c not in planned],
        staff=staff,
        programme=programme,
        grid=grid,
        factors=list(ArushaFactor),
        provisions=list(UncacProvision),
        chosen={"year": grid.year, "factor": factor, "uncac": provision},
        years=list(range(grid.year - 4, grid.year + 3)),
        by_country=by_country,
        administrations=administrations,
        query=request.url.query,
    )


@router.get("/programmes/{slug}/grid.{kind}")
def programme_grid_download(
    slug: str,
    kind: Literal["csv", "xlsx"],
    session: SessionDep,
    staff: StaffDep,
    year: Year = None,
    factor: FactorChoice = None,
    provision: ProvisionChoice = None,
) -> Response:
    """The figures behind the grid, with the page's filters."""
    grid, _ = _grid(session, staff, slug, year, factor, provision)
    return download(
        f"{slug}-{grid.year}-grid", exports.GRID_HEADER, exports.grid_rows(grid), as_xlsx=kind == "xlsx"
    )
