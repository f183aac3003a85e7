"""Compose the emails to staff: a sign-in link, and an admin's invitation to the console."""

from __future__ import annotations

from datetime import UTC

from sqlmodel import Session

from models.email_message import EmailKind
from models.staff_session import SignInLink
from models.user import User
from pledgeflow.errors import Conflict
from services import sign_in
from services.notifications.base import COORDINATOR_LOCALE, Draft, LinkContext, MailRef


def _link_and_person(session: Session, ref: MailRef) -> tuple[SignInLink, User]:
    link = session.get(SignInLink, int(ref.params["link_id"]))
    if link is None:
        raise Conflict(f"sign-in link {ref.params['link_id']} does not exist")
    user = session.get(User, link.user_id)
    if user is None:
        raise Conflict(f"the person of sign-in link {link.id} does not exist")
    return link, user


def valid_for(minutes: int) -> str:
    """A link's lifetime as a person says it: "15 minutes", "1 hour", "12 hours"."""
    if minutes < 120 and minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _context(links: LinkContext, link: SignInLink, user: User) -> dict[str, object]:
    minutes = max(1, round((link.expires_at - link.created_at).total_seconds() / 60))
    return {
        "valid_for": valid_for(minutes),
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "url": f"{links.base_url}/sign-in/{sign_in.link_token(links.signer, link)}",
        "minutes": minutes,
        # ISO in the context; the template shows it in the reader's CLDR form (`when`).
        "expires_at": link.expires_at.astimezone(UTC).isoformat(timespec="minutes"),
        "console_url": f"{links.base_url}/console",
    }


def sign_in_link(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """The link a person asked for on the sign-in page."""
    link, user = _link_and_person(session, ref)
    return Draft(
        kind=EmailKind.sign_in_link,
        to=[user.email],
        locale=COORDINATOR_LOCALE,
        context=_context(links, link, user),
    )


def staff_invitation(session: Session, links: LinkContext, ref: MailRef) -> Draft:
    """An admin added this person: what they can do, and a first link to sign in."""
    link, user = _link_and_person(session, ref)
    context = _context(links, link, user)
    context["invited_by"] = str(ref.params.get("invited_by", ""))
    return Draft(kind=EmailKind.staff_invitation, to=[user.email], locale=COORDINATOR_LOCALE, context=context)
