"""Send MIME messages to an SMTP server with aiosmtplib."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parseaddr

import aiosmtplib

from pledgeflow.mail.message import OutgoingEmail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str = ""
    password: str = ""
    start_tls: bool = False
    timeout: float = 30.0


class PermanentRecipientError(Exception):
    """The server refused every recipient (5xx); retrying will not help."""


def is_permanent(refused: aiosmtplib.SMTPRecipientsRefused) -> bool:
    """Only a 5xx for every recipient is final; 4xx (421 included) means "try again later"."""
    return bool(refused.recipients) and all(r.code >= 500 for r in refused.recipients)


class SmtpSession:
    """One open SMTP connection over which several messages are sent."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self._client = client

    async def send(self, email: OutgoingEmail) -> str:
        """Send one message; return the server's reply to the end of DATA."""
        try:
            _, reply = await self._client.sendmail(
                parseaddr(email.sender)[1], email.recipients, email.to_bytes()
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if not is_permanent(exc):
                raise  # an SMTPException: the caller retries it like a dropped connection
            raise PermanentRecipientError(
                "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            ) from exc
        return reply


class SmtpSender:
    """Opens SMTP sessions with the configured server and credentials."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    @asynccontextmanager
    async def session(self) -> AsyncIterator[SmtpSession]:
        """Connect (and STARTTLS, log in when configured) for a batch of messages."""
        cfg = self._config
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            timeout=cfg.timeout,
            start_tls=cfg.start_tls,
            use_tls=False,
        )
        await client.connect()
        try:
            if cfg.username:
                await client.login(cfg.username, cfg.password)
            yield SmtpSession(client)
        finally:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()

    async def send(self, email: OutgoingEmail) -> str:
        """Send a single message over its own connection."""
        async with self.session() as smtp:
            return await smtp.send(email)
