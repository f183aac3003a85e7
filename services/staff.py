"""The people who use the console: an admin adds them, and deactivates them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlmodel import Session, col, func, select

from models.common import utcnow
from models.staff_session import SignInLink, SignInReason, StaffSession
from models.user import ApiToken, Role, User
from pledgeflow.errors import Conflict, FieldProblem, InvalidInput, not_found
from services import audit, sign_in, users

_EMAIL = TypeAdapter(EmailStr)


def list_staff(session: Session) -> list[User]:
    """Everyone, active first, then by name."""
    people = session.exec(select(User).order_by(col(User.name), col(User.id))).all()
    return sorted(people, key=lambda u: (not u.active, u.name.lower()))


def check_new_person(session: Session, *, email: str, name: str, role: str) -> tuple[str, str, Role]:
    """The cleaned values of a person to add, or InvalidInput naming each bad field."""
    problems: list[FieldProblem] = []
    clean_email = email.strip().lower()
    try:
        _EMAIL.validate_python(clean_email)
    except ValidationError:
        problems.append(FieldProblem("email", "is not an email address"))
    clean_name = name.strip()
    if not clean_name:
        problems.append(FieldProblem("name", "is required"))
    elif len(clean_name) > 200:
        problems.append(FieldProblem("name", "is longer than 200 characters"))
    try:
        clean_role = Role(role)
    except ValueError:
        problems.append(FieldProblem("role", f"must be one of {', '.join(r.value for r in Role)}"))
        clean_role = Role.coordinator
    if not problems and users.get_user_by_email(session, clean_email) is not None:
        problems.append(FieldProblem("email", "already belongs to someone in pledgeflow"))
    if problems:
        raise InvalidInput("the person cannot be added", errors=problems)
    return clean_email, clean_name, clean_role


def invite(
    session: Session, *, email: str, name: str, role: str, actor: str, link_lifetime: timedelta
) -> tuple[User, SignInLink]:
    """Add a person with a role, and a first sign-in link for their invitation email."""
    clean_email, clean_name, clean_role = check_new_person(session, email=email, name=name, role=role)
    user = users.get_or_create_user(session, email=clean_email, name=clean_name, role=clean_role, actor=actor)
    link = sign_in.make_link(
        session, user=user, reason=SignInReason.invitation, lifetime=link_lifetime, actor=actor
    )
    return user, link


def deactivate(session: Session, *, person: User, by: User, actor: str) -> User:
    """The person can no longer sign in; their sessions end and their API tokens are revoked."""
    if person.id == by.id:
        raise Conflict("you cannot deactivate yourself", errors=[FieldProblem("person", "is you")])
    if not person.active:
        return person
    now = utcnow()
    person.deactivated_at = now
    session.add(person)
    ended = sign_in.end_sessions_of(session, person, actor=actor, now=now)
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == person.id, col(ApiToken.revoked_at).is_(None))
    ).all()
    for token in tokens:
        users.revoke_token(session, token=token, actor=actor)
    audit.append(
        session,
        kind="user.deactivated",
        actor=actor,
        subject=f"user:{person.id}",
        data={"email": person.email, "sessions_ended": ended, "tokens_revoked": len(tokens)},
        at=now,
    )
    return person


def reactivate(session: Session, *, person: User, actor: str) -> User:
    """Let a deactivated person sign in again (their old tokens stay revoked)."""
    if person.active:
        return person
    person.deactivated_at = None
    session.add(person)
    audit.append(session, kind="user.reactivated", actor=actor, subject=f"user:{person.id}", data={})
    return person


@dataclass(frozen=True)
class PersonRow:
    """One line of the people page: the person, when they last signed in, sessions still open."""

    user: User
    last_sign_in: datetime | None
    open_sessions: int


def people_rows(session: Session, *, now: datetime | None = None) -> list[PersonRow]:
    """Everyone (as list_staff orders them) with their last sign-in and open sessions."""
    now = now or utcnow()
    last = dict(
        session.exec(
            select(StaffSession.user_id, func.max(StaffSession.created_at)).group_by(
                col(StaffSession.user_id)
            )
        ).all()
    )
    open_counts = dict(
        session.exec(
            select(StaffSession.user_id, func.count())
            .where(col(StaffSession.ended_at).is_(None), col(StaffSession.expires_at) > now)
            .group_by(col(StaffSession.user_id))
        ).all()
    )
    return [
        PersonRow(user=u, last_sign_in=last.get(u.id or 0), open_sessions=int(open_counts.get(u.id or 0, 0)))
        for u in list_staff(session)
    ]


def get_person_or_raise(session: Session, person_id: int) -> User:
    """The person with this id, or 404."""
    user = session.get(User, person_id)
    if user is None:
        raise not_found("person", person_id)
    return user


def end_sessions(session: Session, *, person: User, actor: str) -> int:
    """An admin's "end sessions": every open session of the person ends now; how many."""
    ended = sign_in.end_sessions_of(session, person, actor=actor)
    audit.append(
        session,
        kind="user.sessions_ended",
        actor=actor,
        subject=f"user:{person.id}",
        data={"sessions_ended": ended},
    )
    return ended
