"""Activities of the review cycles: plan a cycle, open and revise reports, record standing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.errors import domain_errors_are_final
from models.report import Standing
from pledgeflow.db import session_scope
from services import campaigns, contacts, invitations
from services.chase_plans import chase_plan
from services.reviews import reports
from services.reviews.calendar import cycle_times
from workflows.review_messages import CycleTimes, ReviewTerms


@dataclass
class CyclePlanInput:
    campaign_id: int
    invitation_id: int
    cycle: int
    in_force_at: datetime


@dataclass
class CyclePlan:
    times: CycleTimes
    terms: ReviewTerms


@dataclass
class OpenReportInput:
    campaign_id: int
    organisation_id: int
    invitation_id: int
    times: CycleTimes
    at: datetime


@dataclass
class NewVersionInput:
    report_id: int
    due_at: datetime
    at: datetime


@dataclass
class StandingInput:
    campaign_id: int
    organisation_id: int
    standing: str
    reason: str
    at: datetime


class ReviewActivities:
    """Records of the review cycles."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _plan(self, request: CyclePlanInput) -> CyclePlan:
        with session_scope(self._engine) as session:
            campaign = campaigns.get_or_raise(session, request.campaign_id)
            settings = reports.settings_of(campaign)
            times = cycle_times(
                settings, in_force_at=request.in_force_at, cycle=request.cycle, timezone=campaign.timezone
            )
            contact = contacts.get_or_raise(
                session, invitations.get_or_raise(session, request.invitation_id).contact_id
            )
            # The campaign's chasing (ladder, quiet hours, time zones), counted from the report's dates.
            template = chase_plan(campaign, contact, started_at=times.opens_at, deadline=None)
            template = replace(
                template,
                reminder_days=[],
                reminder_days_before_deadline=list(settings.reminder_days_before_due),
            )
            return CyclePlan(
                times=times,
                terms=ReviewTerms(
                    review_days=settings.review_days,
                    revision_days=settings.revision_days,
                    grace_days=settings.grace_days,
                    lapse_days=settings.lapse_days,
                    reminder_days_before_due=list(settings.reminder_days_before_due),
                    reviewers=[str(e).lower() for e in settings.reviewers],
                    report_plan=template,
                ),
            )

    @activity.defn(name="plan_review_cycle")
    @domain_errors_are_final
    async def plan_review_cycle(self, request: CyclePlanInput) -> CyclePlan:
        """The dates and terms of one cycle, from the campaign's review settings."""
        return await asyncio.to_thread(self._plan, request)

    def _open(self, request: OpenReportInput) -> int:
        with session_scope(self._engine) as session:
            report = reports.open_report(
                session,
                campaign_id=request.campaign_id,
                organisation_id=request.organisation_id,
                invitation_id=request.invitation_id,
                cycle=request.times.cycle,
                period_start=request.times.period_start,
                period_end=request.times.period_end,
                due_at=request.times.due_at,
                at=request.at,
            )
            return report.id or 0

    @activity.defn(name="open_cycle_report")
    @domain_errors_are_final
    async def open_cycle_report(self, request: OpenReportInput) -> int:
        """The cycle's report draft (created once)."""
        return await asyncio.to_thread(self._open, request)

    def _revise(self, request: NewVersionInput) -> int:
        with session_scope(self._engine) as session:
            report = reports.get_or_raise(session, request.report_id)
            return reports.new_version(session, report=report, due_at=request.due_at, at=request.at).id or 0

    @activity.defn(name="new_report_version")
    @domain_errors_are_final
    async def new_report_version(self, request: NewVersionInput) -> int:
        """The draft that revises a sent-back report (created once)."""
        return await asyncio.to_thread(self._revise, request)

    def _standing(self, request: StandingInput) -> bool:
        with session_scope(self._engine) as session:
            return reports.set_standing(
                session,
                campaign_id=request.campaign_id,
                organisation_id=request.organisation_id,
                standing=Standing(request.standing),
                reason=request.reason,
                at=request.at,
            )

    @activity.defn(name="set_standing")
    @domain_errors_are_final
    async def set_standing(self, request: StandingInput) -> bool:
        """Record a signatory's new standing; False when it already was that."""
        return await asyncio.to_thread(self._standing, request)

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity of this class, for the worker."""
        return [self.plan_review_cycle, self.open_cycle_report, self.new_report_version, self.set_standing]
