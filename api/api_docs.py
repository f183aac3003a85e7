"""/docs from the app itself: Swagger UI from the pinned swagger-ui-py package, no CDN.

swagger-ui-py ships Swagger UI 5 (the OpenAPI 3.1 that FastAPI writes needs 5; swagger-ui-bundle
still ships 4.15, which refuses to render it). Only its static files are used.

FastAPI's own /docs loads Swagger UI from a CDN (blank offline, no integrity hash) and starts it
with an inline script, which the Content-Security-Policy forbids; this page links local files.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui.utils import SWAGGER_UI_PY_ROOT  # type: ignore[import-untyped]  # no py.typed

SWAGGER_PREFIX = "/static/swagger-ui"
STATIC_PREFIX = "/static"


def _page(title: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - API</title>
<link rel="stylesheet" href="{SWAGGER_PREFIX}/swagger-ui.css">
<link rel="stylesheet" href="{STATIC_PREFIX}/docs.css">
<link rel="icon" type="image/png" href="{SWAGGER_PREFIX}/favicon-32x32.png">
</head>
<body>
<main id="swagger-ui"></main>
<script src="{SWAGGER_PREFIX}/swagger-ui-bundle.js"></script>
<script src="{STATIC_PREFIX}/swagger-init.js"></script>
</body>
</html>
"""


def install(app: FastAPI, *, static_dir: Path) -> None:
    """Serve /static (the pages' CSS, the docs' start script), Swagger UI's files and /docs.

    The app must be built with docs_url=None and redoc_url=None (the CDN pages).
    """
    page = _page(app.title)

    async def docs() -> HTMLResponse:
        """The interactive API documentation."""
        return HTMLResponse(page)

    app.add_api_route("/docs", docs, include_in_schema=False, response_class=HTMLResponse)
    # The more specific mount first: Starlette matches mounts in order.
    swagger_files = Path(SWAGGER_UI_PY_ROOT) / "static"
    app.mount(SWAGGER_PREFIX, StaticFiles(directory=str(swagger_files)), name="swagger-ui")
    app.mount(STATIC_PREFIX, StaticFiles(directory=str(static_dir)), name="static")
