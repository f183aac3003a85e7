"""Programmes and action plans: created, drafted, submitted, approved and versioned, each step audited.

Whose data: a plan belongs to the programme officer who created it (its owner); admins and
auditors see every plan, reviewers see and approve the plans submitted to them (any reviewer of
the programme: approval is a role's act, recorded with the person's email), other coordinators
see none of it. A change to an approved plan is a new version, with its reason and actor, which
goes back to a reviewer; the approved version stays the one measured until the new one is approved.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.action_plan import ActionPlan, ActionPlanBase, PlanStatus, PlanVersion
from models.common import utcnow
from models.organisation import Organisation, OrganisationKind
from models.plan_content import PlanContent
from models.programme import Programme, ProgrammeCountry, ProgrammeCreate
from models.user import Role, User
from pledgeflow.errors import Conflict, FieldProblem, Forbidden, InvalidInput, not_found
from services import audit

SEE_ALL = (Role.admin, Role.auditor, Role.reviewer)


# ---- programmes ----------------------------------------------------------------------------------


def create_programme(session: Session, *, data: ProgrammeCreate, actor: str) -> Programme:
    """A programme with its beneficiary countries; the slug is its address and must be free."""
    if session.exec(select(Programme).where(Programme.slug == data.slug)).first() is not None:
        raise Conflict(
            f"a programme is already called {data.slug}", errors=[FieldProblem("slug", "already used")]
        )
    programme = Programme.model_validate(data.model_dump(exclude={"countries"}))
    session.add(programme)
    session.flush()
    for code in data.countries:
        session.add(ProgrammeCountry(programme_id=programme.id or 0, country=code))
    audit.append(
        session,
        kind="programme.created",
        actor=actor,
        subject=f"programme:{programme.id}",
        data={"slug": programme.slug, "countries": data.countries},
    )
    return programme


def programme_by_slug(session: Session, slug: str) -> Programme:
    programme = session.exec(select(Programme).where(Programme.slug == slug)).first()
    if programme is None:
        raise not_found("programme", slug)
    return programme


def programmes(session: Session) -> list[Programme]:
    return list(session.exec(select(Programme).order_by(col(Programme.name))).all())


def countries(session: Session, programme_id: int) -> list[str]:
    """The programme's beneficiary countries, by ISO code."""
    rows = session.exec(
        select(ProgrammeCountry.country)
        .where(ProgrammeCountry.programme_id == programme_id)
        .order_by(col(ProgrammeCountry.country))
    )
    return list(rows.all())


# ---- plans ---------------------------------------------------------------------------------------


def may_see(user: User, plan: ActionPlan) -> bool:
    return user.role in SEE_ALL or plan.owner_id == user.id


def may_edit(user: User, plan: ActionPlan) -> bool:
    return user.role is Role.admin or (user.role is Role.coordinator and plan.owner_id == user.id)


def get_for(session: Session, *, user: User, plan_id: int) -> ActionPlan:
    """The plan if this person may see it; someone else's plan is not found (not "forbidden")."""
    plan = session.get(ActionPlan, plan_id)
    if plan is None or not may_see(user, plan):
        raise not_found("action plan", plan_id)
    return plan


def list_for(session: Session, *, user: User, programme_id: int | None = None) -> list[ActionPlan]:
    query = select(ActionPlan).order_by(col(ActionPlan.country), col(ActionPlan.id))
    if programme_id is not None:
        query = query.where(ActionPlan.programme_id == programme_id)
    if user.role not in SEE_ALL:
        query = query.where(ActionPlan.owner_id == user.id)
    return list(session.exec(query).all())


def create(
    session: Session,
    *,
    programme: Programme,
    organisation: Organisation,
    data: ActionPlanBase,
    content: PlanContent,
    owner: User,
    actor: str,
) -> ActionPlan:
    """A draft plan for a customs administration of one of the programme's countries, version 1."""
    if organisation.kind is not OrganisationKind.customs_administration:
        raise InvalidInput.for_field("organisation_id", "an action plan belongs to a customs administration")
    if organisation.country not in countries(session, programme.id or 0):
        raise InvalidInput.for_field(
            "organisation_id", f"{organisation.country} is not a beneficiary country of {programme.name}"
        )
    check_dates(data, content)
    plan = ActionPlan.model_validate(
        data.model_dump(),
        update={
            "programme_id": programme.id,
            "organisation_id": organisation.id,
            "country": organisation.country,
            "owner_id": owner.id,
        },
    )
    session.add(plan)
    session.flush()
    _add_version(session, plan, content, reason="first version", actor=actor)
    audit.append(
        session,
        kind="plan.created",
        actor=actor,
        subject=f"plan:{plan.id}",
        data={"title": plan.title, "country": plan.country, "sha256": content.sha256()},
    )
    return plan


def check_dates(data: ActionPlanBase, content: PlanContent) -> None:
    """Every measure, milestone and target falls within the plan's years (a field-named error if not)."""
    problems = []
    for measure in content.measures:
        if measure.starts_on < data.starts_on or measure.ends_on > data.ends_on:
            problems.append(FieldProblem(f"measures.{measure.key}", "runs outside the plan's start and end"))
        for milestone in measure.milestones:
            if not measure.starts_on <= milestone.due_on <= measure.ends_on:
                problems.append(
                    FieldProblem(f"milestones.{milestone.key}", "due outside its measure's dates")
                )
        for indicator in measure.indicators:
            if indicator.final_target().by > data.ends_on:
                problems.append(
                    FieldProblem(f"indicators.{indicator.key}", "a target falls after the plan's end")
                )
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)


def version(session: Session, plan: ActionPlan, number: int | None = None) -> PlanVersion:
    """A version of the plan (the current one by default)."""
    wanted = number or plan.current_version
    found = session.exec(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == wanted)
    ).first()
    if found is None:
        raise not_found("plan version", f"{plan.id}/{wanted}")
    return found


def versions(session: Session, plan: ActionPlan) -> list[PlanVersion]:
    return list(
        session.exec(
            select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(col(PlanVersion.version))
        ).all()
    )


def content(session: Session, plan: ActionPlan, number: int | None = None) -> PlanContent:
    return PlanContent.model_validate(version(session, plan, number).content)


def measured_content(session: Session, plan: ActionPlan) -> PlanContent | None:
    """The approved version's content: the one cycles measure against (None before approval)."""
    if plan.approved_version is None:
        return None
    return content(session, plan, plan.approved_version)


def revise(
    session: Session, *, plan: ActionPlan, user: User, content: PlanContent, reason: str, actor: str
) -> PlanVersion:
    """Change the plan. A draft is changed in place; an approved or submitted plan gets a new
    version (its reason is required), which waits for approval."""
    if not may_edit(user, plan):
        raise Forbidden("only the plan's owner or an admin changes it")
    if plan.status is PlanStatus.closed:
        raise Conflict("the plan is closed")
    check_dates(plan, content)
    if plan.status is PlanStatus.draft and plan.approved_version is None:
        current = version(session, plan)
        current.content, current.sha256 = content.as_json(), content.sha256()
        session.add(current)
        audit.append(
            session,
            kind="plan.draft_changed",
            actor=actor,
            subject=f"plan:{plan.id}",
            data={"version": current.version, "sha256": current.sha256},
        )
        return current
    if not reason.strip():
        raise InvalidInput.for_field(
            "reason", "say why the approved plan changes (a new target, a re-baselined indicator)"
        )
    plan.current_version += 1
    plan.status = PlanStatus.submitted
    session.add(plan)
    added = _add_version(session, plan, content, reason=reason.strip(), actor=actor)
    audit.append(
        session,
        kind="plan.revised",
        actor=actor,
        subject=f"plan:{plan.id}",
        data={"version": added.version, "sha256": added.sha256, "reason": added.reason},
    )
    return added


def submit(session: Session, *, plan: ActionPlan, user: User, actor: str) -> ActionPlan:
    """Send the draft to a reviewer for approval."""
    if not may_edit(user, plan):
        raise Forbidden("only the plan's owner or an admin submits it")
    if plan.status is not PlanStatus.draft:
        raise Conflict(f"the plan is {plan.status.value}, not a draft")
    plan.status = PlanStatus.submitted
    session.add(plan)
    audit.append(
        session,
        kind="plan.submitted",
        actor=actor,
        subject=f"plan:{plan.id}",
        data={"version": plan.current_version},
    )
    return plan


def approve(session: Session, *, plan: ActionPlan, user: User, actor: str) -> ActionPlan:
    """A reviewer (or admin) approves the current version: from now on it is the one measured."""
    if user.role not in (Role.reviewer, Role.admin):
        raise Forbidden("a reviewer approves a plan")
    if plan.owner_id == user.id:
        raise Forbidden("a plan is approved by someone other than its author")
    if plan.status is not PlanStatus.submitted:
        raise Conflict(f"the plan is {plan.status.value}; only a submitted plan is approved")
    current = version(session, plan)
    current.approved_by, current.approved_at = user.email, utcnow()
    plan.status, plan.approved_version = PlanStatus.approved, current.version
    session.add(current)
    session.add(plan)
    audit.append(
        session,
        kind="plan.approved",
        actor=actor,
        subject=f"plan:{plan.id}",
        data={"version": current.version, "sha256": current.sha256},
    )
    return plan


def _add_version(
    session: Session, plan: ActionPlan, content: PlanContent, *, reason: str, actor: str
) -> PlanVersion:
    added = PlanVersion(
        plan_id=plan.id or 0,
        version=plan.current_version,
        content=content.as_json(),
        sha256=content.sha256(),
        reason=reason,
        created_by=actor,
    )
    session.add(added)
    session.flush()
    return added
