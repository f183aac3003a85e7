"""The FastAPI application: JSON API, link pages, receipts, health."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api import (
    api_docs,
    audit,
    campaign_lifecycle,
    campaign_shares,
    campaigns,
    contacts,
    escalations,
    health,
    imports,
    open_data,
    organisations,
    plans,
    problems,
    reviews,
    tokens,
)
from api.console import ROUTERS as CONSOLE_ROUTERS
from api.console import assets as console_assets
from api.console import errors as console_errors
from api.console.rendering import ConsoleRenderer
from api.console.signed_in import ConsoleTools
from api.context import ApiContext
from api.csrf import CsrfGuard
from api.pages import plan_pages, receipts, register, reports, signing
from api.pages import reviews as review_pages
from api.pages.tools import AppPageTools
from api.rate_limits import RateLimits
from api.security_headers import SecurityHeaders
from api.templating import PageRenderer
from pledgeflow import __version__
from pledgeflow.config import Settings, get_settings
from pledgeflow.db import get_engine
from pledgeflow.links import LinkSigner
from pledgeflow.temporal import connect


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    connect_temporal: Callable[[], Awaitable[Client]] | None = None,
) -> FastAPI:
    """Build the app; tests pass their own engine and Temporal client."""
    settings = settings or get_settings()
    app = FastAPI(
        title="pledgeflow",
        version=__version__,
        description=(
            "Collective-action workflows for integrity in customs. Coordinator endpoints take a "
            "Bearer token made with `pledgeflow token create`. Every error is an RFC 9457 problem "
            "with the field and the reason."
        ),
        # FastAPI's /docs and /redoc load their scripts from a CDN; api_docs serves local ones.
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = ApiContext(
        settings=settings,
        engine=engine or get_engine(),
        links=LinkSigner(settings.secret_key),
        connect_temporal=connect_temporal or (lambda: connect(settings)),
    )
    https = settings.public_base_url.startswith("https://")
    csrf = CsrfGuard(settings.secret_key, secure_cookie=https, public_base_url=settings.public_base_url)
    app.state.page_tools = AppPageTools(renderer=PageRenderer(settings.templates_dir), csrf=csrf)
    app.state.console = ConsoleTools(
        renderer=ConsoleRenderer(
            settings.templates_dir, csrf=csrf, secret_key=settings.secret_key, secure_cookie=https
        ),
        csrf=csrf,
    )
    # The last added is the outermost: the security headers go on the rate limit's 429s too.
    app.add_middleware(RateLimits, settings=settings, pages=app.state.page_tools.renderer)
    app.add_middleware(SecurityHeaders, https=settings.public_base_url.startswith("https://"))
    problems.install(app)
    console_errors.install(
        app, domain=problems.domain_error, validation=problems.validation_error, http=problems.http_error
    )
    for router in (
        organisations.router,
        contacts.router,
        campaigns.router,
        campaign_lifecycle.router,
        campaign_shares.router,
        escalations.router,
        register.router,
        plan_pages.router,
        open_data.router,
        receipts.router,
        signing.router,
        health.router,
        imports.router,
        audit.router,
        reviews.router,
        reports.router,
        review_pages.router,
        tokens.router,
        plans.router,
        *CONSOLE_ROUTERS,
    ):
        app.include_router(router)
    console_assets.install(app, assets_dir=settings.assets_dir)

    api_docs.install(app, static_dir=settings.templates_dir / "static")

    @app.get("/healthz", tags=["operations"])
    def liveness() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    return app
