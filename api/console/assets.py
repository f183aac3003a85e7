"""The console's front-end files, from the npm packages package-lock.json pins (never a CDN)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response

log = logging.getLogger(__name__)

# What the console serves, under /static/vendor/, and where npm put it.
VENDOR_FILES = {"htmx.min.js": Path("htmx.org/dist/htmx.min.js")}


def install(app: FastAPI, *, assets_dir: Path) -> None:
    """Serve each vendor file; a missing one is a broken install, said once at start."""
    for name, relative in VENDOR_FILES.items():
        source = assets_dir / relative
        if not source.is_file():
            log.error("%s is missing: run `make install` (npm ci) to fetch the console's assets", source)

        def serve(source: Path = source) -> Response:
            if not source.is_file():
                return Response("the console's assets are not installed: run `make install`", status_code=404)
            # Pinned by version: a browser may keep it for a day.
            return FileResponse(
                source, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
            )

        app.add_api_route(f"/static/vendor/{name}", serve, methods=["GET"], include_in_schema=False)
