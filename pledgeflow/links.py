"""Signed links in emails: HMAC tokens naming an invitation, a purpose and an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer


class LinkPurpose(StrEnum):
    sign = "sign"
    report = "report"
    review = "review"
    withdraw = "withdraw"


class LinkError(Exception):
    """A link that cannot be honoured; the subclass says why."""


class TamperedLink(LinkError):
    """The signature does not match: the link was altered or made up."""


class ExpiredLink(LinkError):
    """The link's expiry has passed."""

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"link expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


class WrongPurpose(LinkError):
    """A valid link used for something else than it was made for."""


@dataclass(frozen=True)
class LinkClaims:
    subject_id: int
    purpose: LinkPurpose
    expires_at: datetime
    actor: str = ""  # who the link is for, when the subject alone does not say (a reviewer)


class LinkSigner:
    """Makes and reads link tokens with the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="pledgeflow-link-v1")

    def make(self, subject_id: int, purpose: LinkPurpose, expires_at: datetime, actor: str = "") -> str:
        """A token for the subject (an invitation, a report) valid until expires_at."""
        payload: dict[str, object] = {"s": subject_id, "p": purpose.value, "e": int(expires_at.timestamp())}
        if actor:
            payload["a"] = actor
        return str(self._serializer.dumps(payload))

    def read(self, token: str, purpose: LinkPurpose, *, now: datetime | None = None) -> LinkClaims:
        """Verify the token and return its claims, or raise a LinkError subclass."""
        try:
            payload = self._serializer.loads(token)
        except BadSignature as exc:
            raise TamperedLink("the link's signature does not match") from exc
        try:
            claims = LinkClaims(
                subject_id=int(payload["s"]),
                purpose=LinkPurpose(payload["p"]),
                expires_at=datetime.fromtimestamp(int(payload["e"]), UTC),
                actor=str(payload.get("a", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TamperedLink("the link's content is not a pledgeflow link") from exc
        if claims.purpose is not purpose:
            raise WrongPurpose(f"this link is for '{claims.purpose}', not '{purpose}'")
        if (now or datetime.now(UTC)) >= claims.expires_at:
            raise ExpiredLink(claims.expires_at)
        return claims
