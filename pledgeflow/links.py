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
    sign_in = "sign_in"  # a member of staff's one-time sign-in link (the subject is the link's row)


class LinkError(Exception):
    """A link that cannot be honoured; the subclass says why."""


class TamperedLink(LinkError):
    """The signature does not match: the link was altered or made up."""


class ExpiredLink(LinkError):
    """The link's expiry has passed."""

    def __init__(self, expired_at: datetime, subject_id: int | None = None) -> None:
        super().__init__(f"link expired at {expired_at.isoformat()}")
        self.expired_at = expired_at
        # Genuine but late: whom it was for is known, so its page can be in their language.
        self.subject_id = subject_id


class WrongPurpose(LinkError):
    """A valid link used for something else than it was made for."""


@dataclass(frozen=True)
class LinkClaims:
    subject_id: int
    purpose: LinkPurpose
    expires_at: datetime
    actor: str = ""  # who the link is for, when the subject alone does not say (a reviewer)


# The largest id an `integer` column holds in PostgreSQL (api/deps.py MAX_RECORD_ID): a forged claim
# above it would make the driver fail instead of finding no row.
MAX_SUBJECT_ID = 2**31 - 1


def _claims(payload: object) -> LinkClaims:
    """The claims of a decoded payload; ValueError when it is not the shape make() writes."""
    if not isinstance(payload, dict):
        raise ValueError("the payload is not an object")
    subject_id = int(payload["s"])
    if not 1 <= subject_id <= MAX_SUBJECT_ID:
        raise ValueError(f"subject id {subject_id} is out of range")
    try:
        # Years beyond 9999 (or before 1) do not fit a datetime: OverflowError, OSError or ValueError.
        expires_at = datetime.fromtimestamp(int(payload["e"]), UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError("the expiry is out of range") from exc
    return LinkClaims(
        subject_id=subject_id,
        purpose=LinkPurpose(payload["p"]),
        expires_at=expires_at,
        actor=str(payload.get("a", "")),
    )


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
            claims = _claims(payload)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise TamperedLink("the link's content is not a pledgeflow link") from exc
        if claims.purpose is not purpose:
            raise WrongPurpose(f"this link is for '{claims.purpose}', not '{purpose}'")
        if (now or datetime.now(UTC)) >= claims.expires_at:
            raise ExpiredLink(claims.expires_at, claims.subject_id)
        return claims
