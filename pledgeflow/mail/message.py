"""Build MIME messages with stable Message-IDs, so a retried send is the same mail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr


def stable_message_id(workflow_id: str, step: str, domain: str) -> str:
    """A Message-ID derived from the workflow and the step; the same on every retry."""
    digest = hashlib.sha256(f"{workflow_id}/{step}".encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def sender_domain(from_address: str) -> str:
    """The domain of the From address, used on the right of Message-IDs."""
    address = parseaddr(from_address)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "pledgeflow.localhost"


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str
    date: datetime
    cc: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def recipients(self) -> list[str]:
        """Everyone the envelope goes to."""
        return [*self.to, *self.cc]

    def to_bytes(self) -> bytes:
        """The message as sent: multipart/alternative, plain text first, UTF-8.

        Built with the compat32 classes, about twice as fast as EmailMessage for the same bytes.
        """
        mime = MIMEMultipart("alternative")
        mime["Message-ID"] = self.message_id
        mime["Date"] = format_datetime(self.date)
        mime["From"] = formataddr(parseaddr(self.sender), "utf-8")
        mime["To"] = ", ".join(self.to)
        if self.cc:
            mime["Cc"] = ", ".join(self.cc)
        # Encoded knowing its name, the first encoded word fits after "Subject: "; without it the
        # header was folded right after the colon, which most mail clients show as a leading space.
        mime["Subject"] = (
            self.subject
            if self.subject.isascii()
            else Header(self.subject, "utf-8", header_name="Subject").encode()
        )
        for name, value in self.headers.items():
            mime[name] = value
        mime.attach(MIMEText(self.text, "plain", "utf-8"))
        mime.attach(MIMEText(self.html, "html", "utf-8"))
        return mime.as_bytes()

    def to_mime(self) -> MimeMessage:
        """A multipart/alternative message: plain text first, HTML second."""
        mime = MimeMessage()
        mime["Message-ID"] = self.message_id
        mime["Date"] = format_datetime(self.date)
        mime["From"] = self.sender
        mime["To"] = ", ".join(self.to)
        if self.cc:
            mime["Cc"] = ", ".join(self.cc)
        mime["Subject"] = self.subject
        for name, value in self.headers.items():
            mime[name] = value
        mime.set_content(self.text)
        mime.add_alternative(self.html, subtype="html")
        return mime
