"""The campaign's set-up steps, details and pledge (groups and quorum: campaign_form_groups.py;
chasing and reviews: campaign_form_settings.py). Each step reads its values from the draft or a
posted form, and saves them through the service the API uses, so a refusal gives its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from zoneinfo import available_timezones

from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from api.console.campaign_form_fields import (
    Values,
    checked,
    or_none,
    row_count,
    row_indexes,
    text,
    validation_problems,
    without_row,
)
from api.console.status_labels import COUNTRY_ZONE, CountryName
from models.arusha import ArushaFactor
from models.campaign import Campaign, CampaignCreate, CampaignUpdate, Visibility
from models.pledge import (
    ORIGINAL_LANGUAGE,
    Pledge,
    PledgeCreate,
    checked_translations,
    pledge_sha256,
    translation_record,
)
from models.pledge_text import PledgeTextCreate, base_language, language_tag, text_direction
from models.user import User
from pledgeflow.config import PROJECT_ROOT
from pledgeflow.errors import FieldProblem, InvalidInput
from pledgeflow.i18n import load_catalogs
from pledgeflow.i18n.language import language_name
from services import campaigns

# The programme's beneficiary countries (docs: DOMAIN.md) and the zone of each one's capital.
COUNTRIES: list[tuple[str, str, str]] = [
    ("AF", "Afghanistan", "Asia/Kabul"),
    ("BF", "Burkina Faso", "Africa/Ouagadougou"),
    ("CI", "Côte d'Ivoire", "Africa/Abidjan"),
    ("ET", "Ethiopia", "Africa/Addis_Ababa"),
    ("GH", "Ghana", "Africa/Accra"),
    ("JO", "Jordan", "Asia/Amman"),
    ("LB", "Lebanon", "Asia/Beirut"),
    ("LR", "Liberia", "Africa/Monrovia"),
    ("ML", "Mali", "Africa/Bamako"),
    ("MZ", "Mozambique", "Africa/Maputo"),
    ("NE", "Niger", "Africa/Niamey"),
    ("NP", "Nepal", "Asia/Kathmandu"),
    ("PS", "Palestine", "Asia/Gaza"),
    ("SL", "Sierra Leone", "Africa/Freetown"),
    ("TN", "Tunisia", "Africa/Tunis"),
    ("TZ", "Tanzania", "Africa/Dar_es_Salaam"),
]
ModelT = TypeVar("ModelT", bound=BaseModel)
ZONE_OF_COUNTRY = {code: zone for code, _, zone in COUNTRIES}
# The programme's countries' zones first (named by country), then UTC and every place-named zone;
# the aliases a coordinator never means (Etc/GMT+1, US/Eastern, posix/…) are left out.
_PLACES = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
_PROGRAMME_ZONES: dict[str, list[str]] = {}
for _code, _name, _zone in COUNTRIES:
    _PROGRAMME_ZONES.setdefault(_zone, []).append(_name)
TIMEZONE_CHOICES: list[tuple[str, str]] = [
    *((zone, f"{zone} ({', '.join(names)})") for zone, names in sorted(_PROGRAMME_ZONES.items())),
    ("UTC", "UTC"),
    *(
        (zone, zone)
        for zone in sorted(available_timezones())
        if zone.startswith(_PLACES) and zone not in _PROGRAMME_ZONES
    ),
]


class FormError(Exception):
    """The step's values were refused: the problems, as the API names them."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(problems)
        self.problems = problems


def validated(model: type[ModelT], data: dict[str, Any], prefix: str = "") -> ModelT:
    """The model, or FormError with pydantic's reasons under the API's field names."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormError(validation_problems(exc, prefix)) from exc


def update(session: Session, campaign: Campaign, data: dict[str, Any], actor: str) -> None:
    """Save part of the draft with the API's PATCH rules."""
    changes = validated(CampaignUpdate, data)
    try:
        campaigns.update(session, campaign=campaign, data=changes, actor=actor)
    except InvalidInput as exc:
        raise FormError(exc.errors) from exc


class Step(Protocol):
    key: str
    template: str

    def load(self, session: Session, campaign: Campaign) -> Values: ...
    def read(self, form: FormData) -> Values: ...
    def edit(self, values: Values, action: str) -> Values | None: ...
    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None: ...
    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]: ...


@dataclass
class DetailsStep:
    key: str = "details"
    template: str = "console/campaigns/form/details.html"
    FIELDS = (
        "title",
        "region",
        "timezone",
        "signature_deadline",
        "coordinator_email",
        "focal_point_email",
        "visibility",
    )

    def load(self, session: Session, campaign: Campaign) -> Values:
        values = {name: getattr(campaign, name) for name in self.FIELDS}
        values["signature_deadline"] = (
            campaign.signature_deadline.isoformat() if campaign.signature_deadline else ""
        )
        values["visibility"] = campaign.visibility.value
        return {k: ("" if v is None else str(v)) for k, v in values.items()}

    def read(self, form: FormData) -> Values:
        return {name: text(form, name) for name in self.FIELDS}

    def edit(self, values: Values, action: str) -> Values | None:
        return None

    def payload(self, values: Values) -> dict[str, Any]:
        """What the API's body would hold: a blank zone follows the country, blank optionals unset."""
        data: dict[str, Any] = {
            "title": values["title"],
            "region": values["region"],
            "timezone": values["timezone"] or ZONE_OF_COUNTRY.get(values["region"], "UTC"),
            "visibility": values["visibility"] or Visibility.private.value,
            "signature_deadline": or_none(values["signature_deadline"]),
            "focal_point_email": or_none(values["focal_point_email"]),
        }
        if values["coordinator_email"]:  # empty: the owner's address, set when the draft was made
            data["coordinator_email"] = values["coordinator_email"]
        return data

    def create(self, session: Session, values: Values, owner: User, actor: str) -> Campaign:
        """A new draft owned by the signed-in person."""
        data = validated(CampaignCreate, self.payload(values))
        try:
            return campaigns.create(session, data=data, owner=owner, actor=actor)
        except InvalidInput as exc:
            raise FormError(exc.errors) from exc

    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None:
        update(session, campaign, self.payload(values), actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        countries: list[tuple[str, object]] = [(code, CountryName(code, name)) for code, name, _ in COUNTRIES]
        if values.get("region") and values["region"] not in ZONE_OF_COUNTRY:
            countries.append((values["region"], values["region"]))  # a region set through the API
        zones = list(TIMEZONE_CHOICES)
        if values.get("timezone") and values["timezone"] not in dict(zones):
            zones.append((values["timezone"], values["timezone"]))  # an alias set through the API
        return {
            "countries": [("", "—"), *countries],
            "timezones": [("", COUNTRY_ZONE), *zones],
            "visibilities": [(v.value, v.value) for v in Visibility],
        }


@dataclass
class PledgeStep:
    key: str = "pledge"
    template: str = "console/campaigns/form/pledge.html"

    def load(self, session: Session, campaign: Campaign) -> Values:
        pledge = campaigns.current_pledge(session, campaign.id or 0)
        if pledge is None:
            return {
                "title": campaign.title,
                "introduction": "",
                "language": ORIGINAL_LANGUAGE,
                TEXTS: [],
                **_commitment(0, "c1", "", []),
            }
        values: Values = {
            "title": pledge.title,
            "introduction": pledge.introduction,
            "language": pledge.language,
            TEXTS: pledge.languages()[1:],
        }
        for i, c in enumerate(pledge.commitment_models()):
            values.update(_commitment(i, c.key, c.text, [f.value for f in c.factors]))
        for tag in pledge.languages()[1:]:
            translation = pledge.exact_text(tag)
            assert translation is not None
            values.update(_translation(tag, translation.title, translation.introduction))
            values.update({_text_field(tag, c.key): c.text for c in translation.commitments})
        return values

    def read(self, form: FormData) -> Values:
        values: Values = {
            "title": text(form, "title"),
            "introduction": text(form, "introduction"),
            "language": text(form, "language") or ORIGINAL_LANGUAGE,
            TEXTS: checked(form, TEXTS),
            NEW_TEXT: text(form, NEW_TEXT),
        }
        for new, old in enumerate(row_indexes(form, "commitments", "text")):
            p = f"commitments.{old}."
            values.update(
                _commitment(new, text(form, p + "key"), text(form, p + "text"), checked(form, p + "factors"))
            )
        # Each translation's fields, for the commitments the original has now (a commitment
        # added on this very post starts blank in every translation).
        for tag in values[TEXTS]:
            values.update(
                _translation(tag, text(form, f"texts[{tag}].title"), text(form, f"texts[{tag}].introduction"))
            )
            values.update({_text_field(tag, k): text(form, _text_field(tag, k)) for k in _keys(values)})
        return values

    def edit(self, values: Values, action: str) -> Values | None:
        rows = row_count(values, "commitments", "text")
        if action == "add":
            keys = {values[f"commitments.{i}.key"] for i in range(rows)}
            key = next(f"c{n}" for n in range(rows + 1, rows + 1000) if f"c{n}" not in keys)
            return {**values, **_commitment(rows, key, "", [])}
        if action.startswith("remove-text-"):
            tag = action.removeprefix("remove-text-")
            kept = {k: v for k, v in values.items() if not k.startswith(f"texts[{tag}]")}
            return {**kept, TEXTS: [t for t in values[TEXTS] if t != tag]}
        if action == "add-text":
            return _with_translation(values)
        if action.startswith("remove-"):
            return without_row(values, "commitments", int(action.removeprefix("remove-")), rows)
        return None

    def save(self, session: Session, campaign: Campaign, values: Values, actor: str) -> None:
        commitments = [
            {
                "key": values[f"commitments.{i}.key"],
                "text": values[f"commitments.{i}.text"],
                "factors": values[f"commitments.{i}.factors"],
            }
            for i in range(row_count(values, "commitments", "text"))
        ]
        texts = {
            tag: {
                "title": values[f"texts[{tag}].title"],
                "introduction": values[f"texts[{tag}].introduction"],
                "commitments": [{"key": k, "text": values[_text_field(tag, k)]} for k in _keys(values)],
            }
            for tag in values[TEXTS]
        }
        data = validated(
            PledgeCreate,
            {
                "title": values["title"],
                "introduction": values["introduction"],
                "language": values["language"],
                "commitments": commitments,
                "texts": texts,
            },
        )
        checked_texts, problems = checked_translations(data)
        if problems:
            raise FormError([FieldProblem(field, reason) for field, reason in problems])
        current = campaigns.current_pledge(session, campaign.id or 0)
        if current and _unchanged(current, data, checked_texts):
            return  # saved unchanged: no new version
        campaigns.attach_pledge(session, campaign=campaign, data=data, actor=actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        return {
            "rows": row_count(values, "commitments", "text"),
            "factors": [(f.value, f"{f.number}. {f.label}") for f in ArushaFactor],
            "commitment_keys": _keys(values),
            "texts": [(tag, language_name(tag), text_direction(tag)) for tag in values.get(TEXTS, [])],
            "known_languages": [(code, language_name(code)) for code in _suggested_languages()],
        }


# The languages of the programme's customs administrations (DOMAIN.md), suggested beside those
# the pages are translated into; any other tag can be typed.
PROGRAMME_LANGUAGES = ("am", "ar", "en", "fa", "fr", "ne", "ps", "pt", "sw")


def _suggested_languages() -> list[str]:
    return sorted({*load_catalogs(PROJECT_ROOT / "templates").locales, *PROGRAMME_LANGUAGES})


TEXTS = "texts"  # the translations' language tags, in the order they were added
NEW_TEXT = "new_text_language"
NEW_TEXT_PROBLEM = "new_text_problem"  # why the language asked for could not be added


def _keys(values: Values) -> list[str]:
    return [values[f"commitments.{i}.key"] for i in range(row_count(values, "commitments", "text"))]


def _text_field(tag: str, key: str) -> str:
    """A translated commitment's field, named as the API reports a problem with it."""
    return f"texts[{tag}].commitments[{key}].text"


def _translation(tag: str, title: str, introduction: str) -> Values:
    return {f"texts[{tag}].title": title, f"texts[{tag}].introduction": introduction}


def _with_translation(values: Values) -> Values:
    """The values with a blank translation into the language asked for, or why it cannot be added."""
    kept = {k: v for k, v in values.items() if k != NEW_TEXT_PROBLEM}
    try:
        tag = language_tag(values.get(NEW_TEXT, ""))
    except ValueError as exc:
        return {**kept, NEW_TEXT_PROBLEM: str(exc)}
    if tag in values[TEXTS] or base_language(tag) == base_language(values["language"]):
        return {**kept, NEW_TEXT_PROBLEM: f"the pledge already has a text in '{tag}'"}
    blank = {_text_field(tag, k): "" for k in _keys(values)}
    return {**kept, **_translation(tag, "", ""), **blank, TEXTS: [*values[TEXTS], tag], NEW_TEXT: ""}


def _unchanged(current: Pledge, data: PledgeCreate, texts: dict[str, PledgeTextCreate]) -> bool:
    """Whether the draft's newest version already holds exactly these texts."""
    hashes = {tag: translation_record(tag, data.commitments, t)["sha256"] for tag, t in texts.items()}
    stored = {tag: t["sha256"] for tag, t in (current.translations or {}).items()}
    return (
        current.sha256 == pledge_sha256(data.title, data.introduction, data.commitments)
        and current.language == data.language
        and stored == hashes
    )


def _commitment(i: int, key: str, body: str, factors: list[str]) -> Values:
    p = f"commitments.{i}."
    return {p + "key": key, p + "text": body, p + "factors": factors}
