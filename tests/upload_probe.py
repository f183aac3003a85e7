"""Upload one file to `POST /imports/stakeholders` in a fresh process; print the answer, the time
and how far the peak resident memory rose above the baseline (an import already run once).

Run by tests/imports/test_limits.py as `python -m tests.upload_probe FILE NAME DATABASE_URL`, so
that one bomb's memory is measured alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

from api.app import create_app
from pledgeflow.config import Settings
from pledgeflow.db import create_tables, make_engine
from tests import factories
from tests.conftest import TEST_SECRET

WARM_UP = b"organisation,kind,country\r\nGhana Freight Forwarders,freight_forwarder,GH\r\n"


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # kilobytes
    raise LookupError(key)


def _reset_peak() -> float:
    """Reset the high-water mark (VmHWM) to the current RSS, and return that RSS: without it, a
    peak below one reached while starting up (imports) would not show at all."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


async def _probe(content: bytes, name: str, database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    create_tables(engine)
    _, token = factories.coordinator(engine)

    async def no_temporal() -> None:
        raise AssertionError("imports do not need Temporal")

    settings = Settings(
        env="test", database_url=database_url, secret_key=TEST_SECRET, temporal_address="unused:7233"
    )
    app = create_app(settings, engine=engine, connect_temporal=no_temporal)  # type: ignore[arg-type]
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        import openpyxl  # noqa: F401  (loaded before the baseline, as in a server that imported once)

        warm = await client.post("/imports/stakeholders", files={"file": ("w.csv", WARM_UP)}, headers=auth)
        assert warm.status_code == 200, warm.text
        baseline = _reset_peak()
        started = time.perf_counter()
        response = await client.post("/imports/stakeholders", files={"file": (name, content)}, headers=auth)
        seconds = time.perf_counter() - started
    return {
        "status": response.status_code,
        "content_type": response.headers.get("content-type", ""),
        "body": response.json(),
        "seconds": seconds,
        "growth_mb": _status_mb("VmHWM") - baseline,
    }


def main() -> None:
    """Probe the file named on the command line and print the result as one JSON line."""
    path, name, database_url = sys.argv[1:4]
    content = Path(path).read_bytes()
    print(json.dumps(asyncio.run(_probe(content, name, database_url))))


if __name__ == "__main__":
    main()
