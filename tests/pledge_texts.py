"""A pledge with French and Arabic texts, and a templates folder whose catalogs know those languages.

Which language an invitee's pages are in is the catalogs' answer (`best_locale`); the launch gate
asks it. The test copies the templates and gives them catalogs for the languages it needs, so
the gate is tested against real `.po` files whatever languages the repository has translated.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from models.pledge import Pledge, PledgeCreate
from models.pledge_text import CommitmentText, PledgeTextCreate
from pledgeflow.config import Settings
from pledgeflow.db import session_scope
from services import campaigns
from tests import factories

FRENCH = PledgeTextCreate(
    title="Pacte d'intégrité des douanes du Ghana",
    introduction="La douane et le secteur privé s'engagent ensemble pour un dédouanement intègre.",
    commitments=[
        CommitmentText(key="c1", text="Publier tous les droits et frais de dédouanement."),
        CommitmentText(
            key="c2",
            text="Adopter et faire appliquer un code de conduite pour le personnel et les courtiers.",
        ),
        CommitmentText(key="c3", text="Signaler toute sollicitation de pots-de-vin à la ligne d'intégrité."),
    ],
)
ARABIC = PledgeTextCreate(
    title="ميثاق النزاهة الجمركية في غانا",
    introduction="تلتزم الجمارك والقطاع الخاص معًا بتخليص جمركي نزيه.",
    commitments=[
        CommitmentText(key="c1", text="نشر جميع الرسوم والتكاليف المتعلقة بالتخليص."),
        CommitmentText(key="c2", text="اعتماد مدونة سلوك للموظفين والوسطاء وإنفاذها."),
        CommitmentText(key="c3", text="الإبلاغ عن أي طلب للرشوة عبر خط النزاهة."),
    ],
)
TRANSLATED = factories.PLEDGE.model_copy(update={"texts": {"fr": FRENCH, "ar": ARABIC}})


def todays_hash(pledge: PledgeCreate) -> str:
    """The original's SHA-256 by the rule receipts have always used, written out independently."""
    document = {
        "title": pledge.title,
        "introduction": pledge.introduction,
        "commitments": [
            {"key": c.key, "text": c.text, "factors": [f.value for f in c.factors]}
            for c in pledge.commitments
        ],
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def translation_hash(original: PledgeCreate, language: str, text: PledgeTextCreate) -> str:
    """A translation's SHA-256: the same rule, with the original's factors and a language member."""
    by_key = {c.key: c.text for c in text.commitments}
    document: dict[str, Any] = {
        "title": text.title,
        "introduction": text.introduction,
        "commitments": [
            {"key": c.key, "text": by_key[c.key], "factors": [f.value for f in c.factors]}
            for c in original.commitments
        ],
        "language": language,
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(unicodedata.normalize("NFC", canonical).encode("utf-8")).hexdigest()


def attach(engine: Engine, campaign_id: int, data: PledgeCreate = TRANSLATED) -> Pledge:
    """A new pledge version of the draft, with these texts."""
    with session_scope(engine) as session:
        campaign = campaigns.get_or_raise(session, campaign_id)
        pledge = campaigns.attach_pledge(session, campaign=campaign, data=data, actor=factories.ACTOR)
        session.expunge(pledge)
        return pledge


def with_languages(
    settings: Settings, folder: Path, codes: tuple[str, ...] = ("fr", "ar", "pt", "sw")
) -> Settings:
    """The settings with a copy of the templates whose catalogs include these languages."""
    templates = folder / "templates"
    shutil.copytree(settings.templates_dir, templates)
    for code in codes:
        messages = templates / "locales" / code / "LC_MESSAGES"
        messages.mkdir(parents=True, exist_ok=True)
        po = messages / "pages.po"
        if not po.exists():
            po.write_text(
                f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {code}\\n"\n',
                encoding="utf-8",
            )
    return settings.model_copy(update={"templates_dir": templates})
