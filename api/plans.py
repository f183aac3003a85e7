"""Programmes and action plans: create, read, revise, submit and approve, each per user."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import MAX_RECORD_ID, RecordId, SessionDep, UserDep, actor_of, require_role, require_writer
from api.responses import ERRORS_READ, ERRORS_WRITE
from models.action_plan import ActionPlan, ActionPlanBase, PlanStatus
from models.campaign import Visibility
from models.plan_content import PlanContent
from models.programme import Programme, ProgrammeBase, ProgrammeCreate
from models.user import Role
from services import directory
from services.plans import plans

router = APIRouter(tags=["plans"])


class ProgrammePublic(ProgrammeBase):
    id: int
    created_at: datetime
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")


class PlanCreate(ActionPlanBase):
    programme: str = Field(min_length=2, max_length=60, description="The programme's slug")
    organisation_id: int = Field(ge=1, le=MAX_RECORD_ID, description="The customs administration")
    content: PlanContent


class PlanPublic(BaseModel):
    id: int
    programme_id: int
    organisation_id: int
    country: str
    owner_id: int | None
    title: str
    starts_on: date
    ends_on: date
    visibility: Visibility
    report_every_months: int
    status: PlanStatus
    current_version: int
    approved_version: int | None
    created_at: datetime


class PlanVersionPublic(BaseModel):
    version: int
    sha256: str
    reason: str
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None


class PlanDetail(PlanPublic):
    content: PlanContent
    versions: list[PlanVersionPublic]


class PlanRevision(BaseModel):
    content: PlanContent
    reason: str = Field(default="", max_length=2000, description="Required once the plan was approved")


def _programme_public(session: SessionDep, programme: Programme) -> ProgrammePublic:
    return ProgrammePublic.model_validate(
        {**programme.model_dump(), "countries": plans.countries(session, programme.id or 0)}
    )


def _plan_public(plan: ActionPlan) -> PlanPublic:
    return PlanPublic.model_validate(plan.model_dump())


def _detail(session: SessionDep, plan: ActionPlan) -> PlanDetail:
    return PlanDetail(
        **_plan_public(plan).model_dump(),
        content=plans.content(session, plan),
        versions=[PlanVersionPublic.model_validate(v.model_dump()) for v in plans.versions(session, plan)],
    )


@router.post("/programmes", status_code=201, response_model=ProgrammePublic, responses=ERRORS_WRITE)
def create_programme(data: ProgrammeCreate, session: SessionDep, user: UserDep) -> ProgrammePublic:
    """Create a programme with its beneficiary countries (admins only)."""
    require_role(user, Role.admin)
    programme = plans.create_programme(session, data=data, actor=actor_of(user))
    return _programme_public(session, programme)


@router.get("/programmes", response_model=list[ProgrammePublic], responses={401: ERRORS_READ[401]})
def list_programmes(session: SessionDep, user: UserDep) -> list[ProgrammePublic]:
    """Every programme, by name, with its countries."""
    return [_programme_public(session, p) for p in plans.programmes(session)]


@router.get("/programmes/{slug}", response_model=ProgrammePublic, responses=ERRORS_READ)
def read_programme(
    slug: Annotated[str, Path(max_length=60)], session: SessionDep, user: UserDep
) -> ProgrammePublic:
    """One programme with its countries."""
    return _programme_public(session, plans.programme_by_slug(session, slug))


@router.post("/plans", status_code=201, response_model=PlanDetail, responses=ERRORS_WRITE)
def create_plan(data: PlanCreate, session: SessionDep, user: UserDep) -> PlanDetail:
    """A draft action plan for a customs administration of one of the programme's countries."""
    require_writer(user)
    programme = plans.programme_by_slug(session, data.programme)
    organisation = directory.organisation_for(session, user, data.organisation_id)
    plan = plans.create(
        session,
        programme=programme,
        organisation=organisation,
        data=ActionPlanBase.model_validate(
            data.model_dump(exclude={"programme", "organisation_id", "content"})
        ),
        content=data.content,
        owner=user,
        actor=actor_of(user),
    )
    return _detail(session, plan)


@router.get("/plans", response_model=list[PlanPublic], responses=ERRORS_READ)
def list_plans(
    session: SessionDep,
    user: UserDep,
    programme: str | None = Query(None, max_length=60, description="Only the plans of this programme"),
) -> list[PlanPublic]:
    """The plans this token may see (a coordinator: their own)."""
    programme_id = plans.programme_by_slug(session, programme).id if programme else None
    return [_plan_public(p) for p in plans.list_for(session, user=user, programme_id=programme_id)]


@router.get("/plans/{plan_id}", response_model=PlanDetail, responses=ERRORS_READ)
def read_plan(plan_id: RecordId, session: SessionDep, user: UserDep) -> PlanDetail:
    """One plan with its current content and its versions (404 when not this token's to see)."""
    return _detail(session, plans.get_for(session, user=user, plan_id=plan_id))


@router.put("/plans/{plan_id}/content", response_model=PlanDetail, responses=ERRORS_WRITE)
def revise_plan(plan_id: RecordId, data: PlanRevision, session: SessionDep, user: UserDep) -> PlanDetail:
    """Change the content: a draft in place, else a new version (its reason required)."""
    plan = plans.get_for(session, user=user, plan_id=plan_id)
    plans.revise(
        session, plan=plan, user=user, content=data.content, reason=data.reason, actor=actor_of(user)
    )
    return _detail(session, plan)


@router.post("/plans/{plan_id}/submit", response_model=PlanDetail, responses=ERRORS_WRITE)
def submit_plan(plan_id: RecordId, session: SessionDep, user: UserDep) -> PlanDetail:
    """Send the draft to a reviewer."""
    plan = plans.get_for(session, user=user, plan_id=plan_id)
    return _detail(session, plans.submit(session, plan=plan, user=user, actor=actor_of(user)))


@router.post("/plans/{plan_id}/approve", response_model=PlanDetail, responses=ERRORS_WRITE)
def approve_plan(plan_id: RecordId, session: SessionDep, user: UserDep) -> PlanDetail:
    """A reviewer (not the author) approves the current version: from now on it is measured."""
    plan = plans.get_for(session, user=user, plan_id=plan_id)
    return _detail(session, plans.approve(session, plan=plan, user=user, actor=actor_of(user)))
