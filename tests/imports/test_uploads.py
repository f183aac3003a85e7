"""Spreadsheets kept between a dry run and its import: found only by their uploader, for their
campaign, within a day; private to the server's account."""

from __future__ import annotations

import json
import stat

import pytest

from services.imports import uploads

pytestmark = pytest.mark.any_database


def test_a_kept_file_is_found_only_by_its_uploader_for_its_campaign(tmp_path):
    upload_id = uploads.keep(tmp_path, content=b"a,b\n", file_name="x.csv", campaign_id=3, user_id=7)
    found = uploads.find(tmp_path, upload_id, campaign_id=3, user_id=7)
    assert found is not None and found.content == b"a,b\n" and found.file_name == "x.csv"
    assert uploads.find(tmp_path, upload_id, campaign_id=4, user_id=7) is None
    assert uploads.find(tmp_path, upload_id, campaign_id=3, user_id=8) is None
    uploads.discard(tmp_path, upload_id)
    assert uploads.find(tmp_path, upload_id, campaign_id=3, user_id=7) is None


@pytest.mark.parametrize("bad", ["", "short", "../../etc/passwd-and-more-chars", "a" * 65, "x/" * 10])
def test_an_id_that_is_not_one_of_ours_reads_nothing(tmp_path, bad):
    assert uploads.find(tmp_path, bad, campaign_id=1, user_id=1) is None


def test_kept_files_are_private_and_expire_after_a_day(tmp_path):
    upload_id = uploads.keep(tmp_path, content=b"rows", file_name="x.csv", campaign_id=1, user_id=1)
    for suffix in (".bin", ".json"):
        assert stat.S_IMODE((tmp_path / "uploads" / f"{upload_id}{suffix}").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    meta_path = tmp_path / "uploads" / f"{upload_id}.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "at": meta["at"] - uploads.MAX_AGE_SECONDS - 1}))
    assert uploads.find(tmp_path, upload_id, campaign_id=1, user_id=1) is None
