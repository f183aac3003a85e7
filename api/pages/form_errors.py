"""What a reader must correct on the signing and withdrawal forms: msgids, each beside its field.

The page lists them at the top (each a link to its field) and repeats each under the field it
names, in the reader's language; `field` is the id of the input, or "" for the whole form.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pledgeflow.i18n import N_

NAME_REQUIRED = N_("Full name: enter the name of the person who signs.")
TITLE_REQUIRED = N_("Title or position: enter the signer's title or position.")
CONSENT_REQUIRED = N_("Consent: tick the box to confirm that you sign on behalf of %(organisation)s.")
DECLINE_REASON_REQUIRED = N_("Reason: say why your organisation declines the invitation.")
DELEGATE_NAME_REQUIRED = N_("Colleague's name: enter the name of the colleague who should sign.")
DELEGATE_EMAIL_INVALID = N_("Colleague's email: “%(email)s” is not a valid email address.")
DELEGATE_EMAIL_OWN = N_("Colleague's email: this is your own address; name someone else.")
WITHDRAW_REASON_REQUIRED = N_("Reason: say why the signature is withdrawn.")
PLEDGE_LANGUAGE_UNKNOWN = N_(
    "Pledge text: this pledge has no “%(language)s” text; choose one of the texts shown."
)
REFUSED = N_("The answer was not recorded: %(reason)s")


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One thing to correct: the field it concerns, the msgid saying what, and its values."""

    field: str
    message: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
