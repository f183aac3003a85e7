"""Secrets kept out of log lines: link tokens in paths, API tokens, Authorization values.

A link in an email is enough to sign for an organisation for months, and an API token is a
coordinator's whole account, so neither may reach a log file, whoever wrote the line (uvicorn's
access and error logs, the app's own loggers, a traceback).
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

# The path segment after each route family whose segment is a bearer secret: signing (/s),
# withdraw (/w), report (/r) and review (/rv) links, receipts and register keys. A token from
# itsdangerous holds letters, digits, "-", "_" and "."; the segment ends at "/", "?", "#",
# whitespace or a quote.
_LINK_SEGMENT = re.compile(r"(?P<prefix>/(?:s|w|r|rv|receipts|register)/)(?P<secret>[^/?#\s\"'<>]+)")
# A link token on its own (in an exception's message, say): itsdangerous writes the base64url of
# compact JSON, which starts with "eyJ" ('{"'), or "." and zlib's "eJ" when compressed.
_BARE_LINK_TOKEN = re.compile(r"(?:\beyJ|\.eJ)[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}")
# API tokens are "pf_" and 32 random bytes in base64url (43 characters).
_API_TOKEN = re.compile(r"\bpf_[A-Za-z0-9_\-]{20,}")
# "Authorization: Bearer x", "'authorization': 'Basic x'", "Bearer x" alone.
_AUTHORIZATION = re.compile(
    r"(?P<prefix>(?i:authorization)[\"']?\s*[:=]\s*[\"']?(?:(?i:bearer|basic|token)\s+)?)(?P<secret>[^\s\"',;]+)"
)
# SQLAlchemy's "[parameters: ('key', 'email@…')]" in a database error (engines made by
# pledgeflow.db hide them already; this covers any other).
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
_BEARER = re.compile(r"(?P<prefix>\b(?i:bearer)\s+)(?P<secret>[^\s\"',;]+)")


def redact(text: str) -> str:
    """The text with every link token, API token and credential replaced by [redacted]."""
    if not any(marker in text for marker in ("/", "pf_", "eJ", "earer", "uthorization", "[parameters")):
        return text  # the common case: nothing that could hold a secret
    text = _SQL_PARAMETERS.sub("[parameters: " + REDACTED + "]", text)
    text = _LINK_SEGMENT.sub(lambda m: m.group("prefix") + REDACTED, text)
    text = _BARE_LINK_TOKEN.sub(REDACTED, text)
    text = _API_TOKEN.sub("pf_" + REDACTED, text)
    text = _AUTHORIZATION.sub(lambda m: m.group("prefix") + REDACTED, text)
    return _BEARER.sub(lambda m: m.group("prefix") + REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    if isinstance(value, tuple):
        return tuple(_redact_value(v) for v in value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, int | float | bool) or value is None:
        return value
    # Anything else (a URL, an exception) is kept as it is, for the format's %r or %d, unless its
    # text holds a secret: then the redacted text takes its place.
    text = str(value)
    redacted = redact(text)
    return value if redacted == text else redacted


# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, arguments, extras and traceback before any handler formats it.

    The arguments are redacted one by one rather than merged into the message, so formatters
    that read `record.args` themselves (uvicorn's access formatter) keep working.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif record.msg is not None and not record.args:
            record.msg = redact(str(record.msg))
        if record.args:
            record.args = _redact_value(record.args)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str | bytes | tuple | list | dict):
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: the traceback is formatted once, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
