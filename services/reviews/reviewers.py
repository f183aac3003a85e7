"""Reviewers: the users a campaign names to decide on its reports."""

from __future__ import annotations

from sqlmodel import Session, select

from models.review import ReviewSettings
from models.user import Role, User
from pledgeflow.errors import FieldProblem, InvalidInput


def check_reviewers(session: Session, settings: ReviewSettings) -> None:
    """Every reviewer named must be a user with the reviewer (or admin) role."""
    problems = []
    for index, email in enumerate(settings.reviewers):
        user = session.exec(select(User).where(User.email == str(email).lower())).first()
        if user is None or user.role not in (Role.reviewer, Role.admin):
            problems.append(
                FieldProblem(f"review.reviewers[{index}]", f"{email} is not a user with the reviewer role")
            )
    if problems:
        raise InvalidInput(problems[0].reason, errors=problems)
