"""Settings read from the environment (prefix ``PLEDGEFLOW_``)."""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
_MAKE_A_KEY = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
# Floors that refuse typed patterns and keep every real key: of a million keys from
# secrets.token_hex(16), the weakest kind of 32 characters, none has fewer distinct characters
# or a lower estimated entropy (Shannon, per character, times the length).
MIN_DISTINCT_CHARACTERS = 8
MIN_ESTIMATED_BITS = 64.0


def _is_repetition(text: str) -> bool:
    # A string is a repetition of a shorter unit exactly when it occurs inside itself doubled.
    return len(text) > 1 and text in (text + text)[1:-1]


def secret_weakness(secret: str) -> str:
    """Why the secret is guessable (a repetition, too few distinct characters, low entropy), or ''."""
    if _is_repetition(secret):
        return "it repeats a shorter pattern"
    distinct = len(set(secret))
    if distinct < MIN_DISTINCT_CHARACTERS:
        return f"it has {distinct} distinct characters, fewer than {MIN_DISTINCT_CHARACTERS}"
    counts = Counter(secret)
    per_character = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    bits = per_character * len(secret)
    if bits < MIN_ESTIMATED_BITS:
        return f"its estimated entropy is {bits:.0f} bits, below {MIN_ESTIMATED_BITS:.0f}"
    return ""


class Settings(BaseSettings):
    """Everything the API, the worker and the command line need to know."""

    model_config = SettingsConfigDict(env_prefix="PLEDGEFLOW_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = ""

    # Temporal: an empty address means "start the embedded dev server".
    temporal_address: str = ""
    temporal_namespace: str = "default"
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: str = ""
    task_queue: str = "pledgeflow"
    email_task_queue: str = "pledgeflow-email"
    worker_max_concurrent_activities: int = 100
    worker_max_concurrent_workflow_tasks: int = 100
    # The workflow sandbox re-imports a workflow's module for every workflow it runs: a guard
    # against non-determinism that costs a launch of thousands half of its worker CPU. The tests
    # run every workflow under it; production leaves it off unless asked.
    workflow_sandbox: bool = False
    # The SMTP provider's sending limit, per worker serving the email queue (see the README).
    email_max_per_second: float | None = Field(default=None, gt=0)
    dev_server_port: int = 7233
    dev_server_ui_port: int = 8233

    # Mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "pledgeflow <noreply@pledgeflow.localhost>"
    mailbox_port: int = 8025

    # Web
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEFAULT_SECRET_KEY
    link_ttl_days: int = 120
    api_token_days: int = Field(default=90, ge=1, le=3650)  # lifetime of a new API token by default
    templates_dir: Path = PROJECT_ROOT / "templates"
    assets_dir: Path = PROJECT_ROOT / "node_modules"  # npm packages of package-lock.json (htmx)
    # The console: a one-time sign-in link works for minutes; the session it opens for hours.
    sign_in_link_minutes: int = Field(default=15, ge=1, le=24 * 60)
    sign_in_links_per_hour: int = Field(default=5, ge=1)  # per person; more asks send nothing
    staff_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Requests per client address and route family, in the `limits` notation ("30/minute");
    # an answer beyond it is a 429 with Retry-After (see api/rate_limits.py).
    rate_limit_enabled: bool = True
    rate_limit_links: str = "60/minute"  # the pages behind email links: /s, /w, /r, /rv
    rate_limit_receipts: str = "60/minute"
    rate_limit_register: str = "120/minute"
    rate_limit_failed_auth: str = "10/minute"  # Bearer tokens refused (401), per address
    rate_limit_sign_in: str = "10/minute"  # asking for a sign-in link, and opening one, per address

    # Operations
    # Bearer token for /metrics and the detail of /readyz. In production both are closed without
    # it; elsewhere they are open unless a token is set.
    metrics_token: str = ""
    log_json: bool = False  # one JSON object per log line (containers, log collectors)
    metrics_port: int | None = None  # a worker's application metrics (Prometheus); off when unset
    sdk_metrics_port: int | None = None  # a worker's Temporal SDK metrics (Prometheus); off when unset
    worker_shutdown_grace_seconds: float = 60.0  # on SIGTERM, how long activities in progress may finish
    audit_checkpoint_hours: float = 24.0  # how often the audit chain's head is emailed to the auditors

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_placeholders(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'pledgeflow.db'}"
        if self.env != "development" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                f"PLEDGEFLOW_SECRET_KEY is still the development default; set a long random value "
                f"(PLEDGEFLOW_ENV is '{self.env}')"
            )
        if self.env == "production":
            if len(self.secret_key) < 32:
                raise ValueError("PLEDGEFLOW_SECRET_KEY must be at least 32 characters in production")
            if weakness := secret_weakness(self.secret_key):
                raise ValueError(f"PLEDGEFLOW_SECRET_KEY is not random enough: {weakness}; {_MAKE_A_KEY}")
        for name in ("links", "receipts", "register", "failed_auth", "sign_in"):
            value = getattr(self, f"rate_limit_{name}")
            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(
                    f"PLEDGEFLOW_RATE_LIMIT_{name.upper()} '{value}' is not a rate like '30/minute'"
                ) from exc
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    @property
    def embedded_temporal(self) -> bool:
        """True when no Temporal address is configured and the dev server runs in-process."""
        return not self.temporal_address


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
