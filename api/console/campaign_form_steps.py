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
from models.pledge import PledgeCreate, pledge_sha256
from models.user import User
from pledgeflow.errors import InvalidInput
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
            return {"title": campaign.title, "introduction": "", **_commitment(0, "c1", "", [])}
        values: Values = {"title": pledge.title, "introduction": pledge.introduction}
        for i, c in enumerate(pledge.commitment_models()):
            values.update(_commitment(i, c.key, c.text, [f.value for f in c.factors]))
        return values

    def read(self, form: FormData) -> Values:
        values: Values = {"title": text(form, "title"), "introduction": text(form, "introduction")}
        for new, old in enumerate(row_indexes(form, "commitments", "text")):
            p = f"commitments.{old}."
            values.update(
                _commitment(new, text(form, p + "key"), text(form, p + "text"), checked(form, p + "factors"))
            )
        return values

    def edit(self, values: Values, action: str) -> Values | None:
        rows = row_count(values, "commitments", "text")
        if action == "add":
            keys = {values[f"commitments.{i}.key"] for i in range(rows)}
            key = next(f"c{n}" for n in range(rows + 1, rows + 1000) if f"c{n}" not in keys)
            return {**values, **_commitment(rows, key, "", [])}
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
        data = validated(
            PledgeCreate,
            {"title": values["title"], "introduction": values["introduction"], "commitments": commitments},
        )
        current = campaigns.current_pledge(session, campaign.id or 0)
        if current and current.sha256 == pledge_sha256(data.title, data.introduction, data.commitments):
            return  # saved unchanged: no new version
        campaigns.attach_pledge(session, campaign=campaign, data=data, actor=actor)

    def extras(
        self, session: Session, user: User, campaign: Campaign | None, values: Values
    ) -> dict[str, Any]:
        return {
            "rows": row_count(values, "commitments", "text"),
            "factors": [(f.value, f"{f.number}. {f.label}") for f in ArushaFactor],
        }


def _commitment(i: int, key: str, body: str, factors: list[str]) -> Values:
    p = f"commitments.{i}."
    return {p + "key": key, p + "text": body, p + "factors": factors}
