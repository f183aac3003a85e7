"""An SMTP server on loopback (aiosmtpd) that records every message it accepts."""

from __future__ import annotations

import asyncio
import mailbox
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

REFUSED_DOMAIN = "mailbox-unavailable.example"


@dataclass
class SmtpFaults:
    """Replies the sink gives instead of 250, to rehearse a failing provider (None: answer 250).

    For example `rcpt="451 4.3.0 try again later"`, `data="451 4.3.0 queue full"` or
    `mail="421 4.3.2 shutting down"`.
    """

    mail: str | None = None
    rcpt: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class Tally:
    """What the server took, counted by Message-ID: `lost` are expected ids it never took."""

    sent: int
    unique: int
    duplicates: int
    lost: int


@dataclass
class ReceivedMail:
    """One message as the server received it."""

    envelope_from: str
    recipients: list[str]
    raw: bytes
    received_at: datetime
    parsed: EmailMessage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.parsed = parsed

    @property
    def message_id(self) -> str:
        return str(self.parsed.get("Message-ID", ""))

    @property
    def kind(self) -> str:
        """pledgeflow's X-Pledgeflow-Kind header (invitation, reminder, escalation, ...)."""
        return str(self.parsed.get("X-Pledgeflow-Kind", ""))

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", ""))

    @property
    def to(self) -> list[str]:
        return [a.strip() for a in str(self.parsed.get("To", "")).split(",") if a.strip()]

    @property
    def cc(self) -> list[str]:
        return [a.strip() for a in str(self.parsed.get("Cc", "")).split(",") if a.strip()]

    @property
    def date(self) -> datetime:
        """The Date header: when the workflow meant the mail to go out."""
        return parsedate_to_datetime(str(self.parsed["Date"]))

    def part(self, subtype: str) -> str:
        """The text/plain or text/html body."""
        body = self.parsed.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            return ""
        content = body.get_content()
        return content if isinstance(content, str) else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


class _RecordingHandler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # A held server answers no new transaction: every client stops between two messages.
        while self._sink.holding:
            await asyncio.sleep(0.01)
        if self._sink.faults.mail:
            return self._sink.faults.mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 mailbox unavailable"
        if self._sink.faults.rcpt:
            return self._sink.faults.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        if self._sink.faults.data:
            return self._sink.faults.data
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        self._sink.record(
            ReceivedMail(
                envelope_from=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                raw=raw,
                received_at=datetime.now(UTC),
            )
        )
        return "250 2.0.0 message accepted"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MailSink:
    """Starts an SMTP server on loopback; keeps messages in memory and, if given, a Maildir."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, maildir: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._maildir = mailbox.Maildir(str(maildir), create=True) if maildir else None
        self._messages: list[ReceivedMail] = []
        if self._maildir is not None:
            self._messages = _load(self._maildir)
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.holding = False
        self.faults = SmtpFaults()

    def fail(self, faults: SmtpFaults) -> None:
        """Answer with these replies from now on (see SmtpFaults); heal() ends it."""
        self.faults = faults

    def heal(self) -> None:
        self.faults = SmtpFaults()

    def tally(self, expected: set[str] | None = None, kind: str | None = None) -> Tally:
        """Messages taken so far (of one X-Pledgeflow-Kind, if given), counted by Message-ID."""
        ids = [m.message_id for m in self.messages if kind is None or m.kind == kind]
        unique = set(ids)
        lost = len(expected - unique) if expected is not None else 0
        return Tally(sent=len(ids), unique=len(unique), duplicates=len(ids) - len(unique), lost=lost)

    def record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._messages.append(mail)
            if self._maildir is not None:
                self._maildir.add(mail.raw)

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    def hold(self) -> None:
        """Accept no new message (clients wait at MAIL FROM) until release(); for tests that stop
        a sender between two messages."""
        self.holding = True

    def release(self) -> None:
        self.holding = False

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
        self.heal()

    def start(self) -> MailSink:
        self._controller = Controller(
            _RecordingHandler(self), hostname=self.host, port=self.port, ready_timeout=10
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 30.0, **match: str) -> list[ReceivedMail]:
        """Block until at least `count` messages match (e.g. to='a@b'); return those."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages if _matches(m, match)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    async def wait_for_async(self, count: int, timeout: float = 30.0, **match: str) -> list[ReceivedMail]:
        """Like wait_for, without blocking the event loop (workers may share it)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages if _matches(m, match)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)


def _load(folder: mailbox.Maildir) -> list[ReceivedMail]:
    """Messages kept from an earlier run, oldest first."""
    loaded = []
    for key in folder.iterkeys():
        raw = folder.get_bytes(key)
        stored = folder.get_message(key)
        parsed = message_from_bytes(raw, policy=policy.default)
        recipients = [a.strip() for a in str(parsed.get("To", "")).split(",") if a.strip()]
        loaded.append(
            ReceivedMail(
                envelope_from=str(parsed.get("From", "")),
                recipients=recipients,
                raw=raw,
                received_at=datetime.fromtimestamp(stored.get_date(), UTC),
            )
        )
    return sorted(loaded, key=lambda m: m.received_at)


def _matches(mail: ReceivedMail, match: dict[str, str]) -> bool:
    for key, expected in match.items():
        if key == "to" and expected.lower() not in [r.lower() for r in mail.recipients]:
            return False
        if key == "subject_contains" and expected not in mail.subject:
            return False
    return True
