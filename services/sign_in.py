"""Staff sign-in: one-time links by email, then a server-side session per browser.

No passwords. A person asks for a link with their address; if the address belongs to an active
member of staff, a `SignInLink` row is made and emailed (by a workflow, so the email survives a
restart). The link works once, for minutes. Using it opens a `StaffSession`: the browser holds a
random secret in a cookie, the database its SHA-256, so sign-out, an admin's "end sessions" and a
deactivation end it at once.

Whether an address exists is never revealed: asking for a link answers the same in every case.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models.common import utcnow
from models.staff_session import SignInLink, SignInReason, StaffSession
from models.user import User
from pledgeflow.links import LinkError, LinkPurpose, LinkSigner
from services import audit, users

SESSION_PREFIX = "pfs_"


class SignInRefused(Exception):
    """A sign-in link that cannot open a session; the message says why, to the person holding it."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_token(signer: LinkSigner, link: SignInLink) -> str:
    """The token the link's email carries: the same on every attempt to send it."""
    return signer.make(link.id or 0, LinkPurpose.sign_in, link.expires_at)


def make_link(
    session: Session,
    *,
    user: User,
    reason: SignInReason,
    lifetime: timedelta,
    actor: str,
    now: datetime | None = None,
) -> SignInLink:
    """A new one-time link for the user, valid for `lifetime`."""
    now = now or utcnow()
    link = SignInLink(user_id=user.id or 0, reason=reason, created_at=now, expires_at=now + lifetime)
    session.add(link)
    session.flush()
    audit.append(
        session,
        kind="sign_in.link_made",
        actor=actor,
        subject=f"user:{user.id}",
        data={"link_id": link.id, "reason": reason, "expires_at": link.expires_at.isoformat()},
        at=now,
    )
    return link


def request_link(
    session: Session, *, email: str, lifetime: timedelta, per_hour: int, now: datetime | None = None
) -> SignInLink | None:
    """A link for the person with this address; None (and nothing sent) when there is no such
    active person or they already asked `per_hour` times in the last hour."""
    now = now or utcnow()
    user = users.get_user_by_email(session, email.strip())
    if user is None or not user.active:
        return None
    recent = session.exec(
        select(func.count())
        .select_from(SignInLink)
        .where(SignInLink.user_id == user.id, col(SignInLink.created_at) > now - timedelta(hours=1))
    ).one()
    if recent >= per_hour:
        return None
    return make_link(
        session, user=user, reason=SignInReason.sign_in, lifetime=lifetime, actor="sign-in", now=now
    )


def read_link(session: Session, signer: LinkSigner, token: str, *, now: datetime | None = None) -> SignInLink:
    """The unused, unexpired link this token names, or SignInRefused saying why not."""
    now = now or utcnow()
    try:
        claims = signer.read(token, LinkPurpose.sign_in, now=now)
    except LinkError as exc:
        raise SignInRefused(
            "This sign-in link has expired or is not valid. Ask for a new one below."
        ) from exc
    link = session.get(SignInLink, claims.subject_id)
    if link is None:
        raise SignInRefused("This sign-in link is not valid. Ask for a new one below.")
    if link.used_at is not None:
        raise SignInRefused(
            "This sign-in link was already used: each link works once. Ask for a new one below."
        )
    user = session.get(User, link.user_id)
    if user is None or not user.active:
        raise SignInRefused("This account cannot sign in. Ask an administrator.")
    return link


def open_session(
    session: Session,
    *,
    link: SignInLink,
    lifetime: timedelta,
    user_agent: str = "",
    now: datetime | None = None,
) -> tuple[str, StaffSession]:
    """Use the link (once) and open a session; returns the cookie's secret and the session."""
    now = now or utcnow()
    # Used once even under a race: two presses of the button at the same instant both read the link
    # unused, but only one conditional update finds it so.
    claimed = session.execute(
        update(SignInLink)
        .where(col(SignInLink.id) == link.id, col(SignInLink.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        raise SignInRefused(
            "This sign-in link was already used: each link works once. Ask for a new one below."
        )
    link.used_at = now
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    staff_session = StaffSession(
        user_id=link.user_id,
        token_hash=_hash(secret),
        created_at=now,
        expires_at=now + lifetime,
        user_agent=user_agent[:300],
    )
    session.add(staff_session)
    session.flush()
    audit.append(
        session,
        kind="sign_in.session_opened",
        actor=f"user:{link.user_id}",
        subject=f"user:{link.user_id}",
        data={"link_id": link.id, "session_id": staff_session.id, "reason": link.reason},
        at=now,
    )
    return secret, staff_session


def session_of(
    session: Session, secret: str, *, now: datetime | None = None
) -> tuple[StaffSession, User] | None:
    """The open session this cookie secret names and its person, or None."""
    if not secret.startswith(SESSION_PREFIX):
        return None
    staff_session = session.exec(select(StaffSession).where(StaffSession.token_hash == _hash(secret))).first()
    if staff_session is None or not staff_session.open_at(now or utcnow()):
        return None
    user = session.get(User, staff_session.user_id)
    if user is None or not user.active:
        return None
    return staff_session, user


def end_session(
    session: Session, staff_session: StaffSession, *, actor: str, now: datetime | None = None
) -> None:
    """End one session (sign-out); ending it again changes nothing."""
    if staff_session.ended_at is not None:
        return
    now = now or utcnow()
    staff_session.ended_at = now
    staff_session.ended_by = actor
    session.add(staff_session)
    audit.append(
        session,
        kind="sign_in.session_ended",
        actor=actor,
        subject=f"user:{staff_session.user_id}",
        data={"session_id": staff_session.id},
        at=now,
    )


def end_sessions_of(session: Session, user: User, *, actor: str, now: datetime | None = None) -> int:
    """End every open session of a person (an admin's revoke, a deactivation); how many ended."""
    now = now or utcnow()
    open_sessions = open_sessions_of(session, user, now=now)
    for staff_session in open_sessions:
        end_session(session, staff_session, actor=actor, now=now)
    return len(open_sessions)


def open_sessions_of(session: Session, user: User, *, now: datetime | None = None) -> list[StaffSession]:
    """A person's sessions still open, newest first."""
    now = now or utcnow()
    return list(
        session.exec(
            select(StaffSession)
            .where(
                StaffSession.user_id == user.id,
                col(StaffSession.ended_at).is_(None),
                col(StaffSession.expires_at) > now,
            )
            .order_by(col(StaffSession.created_at).desc())
        ).all()
    )


def person_of(session: Session, link: SignInLink) -> User:
    """Whose link this is (read_link has checked they exist)."""
    user = session.get(User, link.user_id)
    assert user is not None
    return user
