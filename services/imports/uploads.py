"""Uploaded spreadsheets kept on the server between a dry run and its confirmation.

The browser gets back only a random id: the rows it confirms are the ones it was shown, read
again from this copy, never from anything the client sends back. A copy is bound to the
campaign and the person who uploaded it, and is removed once used or after a day.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from pledgeflow.private_files import private_file, private_folder

MAX_AGE_SECONDS = 24 * 3600
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class Upload:
    """One kept file: what was uploaded, by whom, for which campaign."""

    upload_id: str
    file_name: str
    content: bytes


def _folder(data_dir: Path) -> Path:
    folder = data_dir / "uploads"
    private_folder(folder)  # the rows hold people's names and addresses
    return folder


def _valid_id(upload_id: str) -> bool:
    return 16 <= len(upload_id) <= 64 and set(upload_id) <= _ID_CHARS


def keep(data_dir: Path, *, content: bytes, file_name: str, campaign_id: int, user_id: int) -> str:
    """Store the file and return its id (unguessable; also removes copies older than a day)."""
    folder = _folder(data_dir)
    _sweep(folder)
    upload_id = secrets.token_urlsafe(24)
    meta = {"file_name": file_name, "campaign_id": campaign_id, "user_id": user_id, "at": time.time()}
    for path, data in (
        (folder / f"{upload_id}.bin", content),
        (folder / f"{upload_id}.json", json.dumps(meta).encode()),
    ):
        private_file(path)
        path.write_bytes(data)
    return upload_id


def find(data_dir: Path, upload_id: str, *, campaign_id: int, user_id: int) -> Upload | None:
    """The kept file, if this person uploaded it for this campaign less than a day ago."""
    if not _valid_id(upload_id):
        return None
    folder = _folder(data_dir)
    meta_path, data_path = folder / f"{upload_id}.json", folder / f"{upload_id}.bin"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        content = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("campaign_id") != campaign_id or meta.get("user_id") != user_id:
        return None
    if time.time() - float(meta.get("at", 0)) > MAX_AGE_SECONDS:
        return None
    return Upload(upload_id=upload_id, file_name=str(meta.get("file_name") or "upload"), content=content)


def discard(data_dir: Path, upload_id: str) -> None:
    """Remove a kept file (after it was imported)."""
    if not _valid_id(upload_id):
        return
    folder = _folder(data_dir)
    for suffix in (".bin", ".json"):
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                path.with_suffix(".bin").unlink(missing_ok=True)
        except OSError:
            continue
