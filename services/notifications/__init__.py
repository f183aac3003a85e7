"""Compose each kind of email from the records: who gets it, in which language, with what.

`base` holds what every composer shares, one module per domain composes its emails, and
`registry` maps each `EmailKind` to its composer.
"""

from __future__ import annotations

from services.notifications.base import COORDINATOR_LOCALE, Composer, Draft, LinkContext, MailRef
from services.notifications.registry import COMPOSERS, compose, composer_for

__all__ = [
    "COMPOSERS",
    "COORDINATOR_LOCALE",
    "Composer",
    "Draft",
    "LinkContext",
    "MailRef",
    "compose",
    "composer_for",
]
