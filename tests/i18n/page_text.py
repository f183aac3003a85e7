"""What a reader sees of a page: its HTML without the <bdi> isolates around names, ids and hashes."""

from __future__ import annotations

import re

import httpx

_ISOLATES = re.compile(r"</?bdi[^>]*>")


def seen(response: httpx.Response | str) -> str:
    """The page's HTML with <bdi> tags removed, so a sentence reads as one string again."""
    html = response if isinstance(response, str) else response.text
    return _ISOLATES.sub("", html)
