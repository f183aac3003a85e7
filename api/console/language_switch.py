"""The language switch in the console's header: remember the chosen language, go back to the page.

A plain GET link per language (no JavaScript, no form to protect: it changes only how pages
read). `next` must be a path on this site, so the switch cannot be used to send someone elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.signed_in import ConsoleDep

router = APIRouter(prefix="/console", include_in_schema=False)
HOME = "/console/campaigns"


def same_site_path(target: str | None) -> str:
    """`target` if it is a path on this site ('/console/...'), else the console's home.

    '//evil.example', '/\\evil.example' and 'https://evil.example' are all read by browsers as
    another site, so only one leading slash followed by a path character passes.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target


@router.get("/language")
def choose_language(request: Request, tools: ConsoleDep, lang: str = "", next: str = HOME) -> Response:
    """Set the `pf_lang` cookie to a language the console has, and go back to `next`."""
    response = tools.renderer.redirect(same_site_path(next))
    if lang in tools.renderer.locales:
        tools.renderer.set_language(response, lang)
    return response
