"""What every page behind an emailed link shares: the renderer, the CSRF guard, reading the link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import HTMLResponse

from api.context import ApiContext
from api.csrf import CsrfGuard
from api.templating import PageRenderer, Pages
from pledgeflow.links import ExpiredLink, LinkClaims, LinkError, LinkPurpose


@dataclass
class PageTools:
    """What a page route works with: its request's pages (in the reader's language) and the CSRF guard."""

    pages: Pages
    csrf: CsrfGuard


@dataclass
class AppPageTools:
    """The page tools the app is built with, once."""

    renderer: PageRenderer
    csrf: CsrfGuard

    def for_request(self, request: Request) -> PageTools:
        return PageTools(pages=self.renderer.for_request(request), csrf=self.csrf)


def get_tools(request: Request) -> PageTools:
    """The page tools of this request."""
    tools: AppPageTools = request.app.state.page_tools
    return tools.for_request(request)


ToolsDep = Annotated[PageTools, Depends(get_tools)]


def read_link(
    tools: PageTools,
    context: ApiContext,
    token: str,
    purpose: LinkPurpose,
    *,
    locale_of: Callable[[int], str | None] | None = None,
) -> LinkClaims | HTMLResponse:
    """The claims of a link made for this purpose, or the page that says why it cannot be read.

    An expired link is genuine, so it still says whom it was for: `locale_of(subject_id)` gives
    that contact's language for its page (None when unknown: the reader's browser decides).
    """
    try:
        return context.links.read(token, purpose)
    except ExpiredLink as exc:
        locale = locale_of(exc.subject_id) if locale_of and exc.subject_id is not None else None
        return tools.pages.message(locale=locale, status=410, key="link.expired", date=exc.expired_at)
    except LinkError:
        return tools.pages.message(locale=None, status=400, key="link.tampered")
