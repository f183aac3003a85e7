"""The columns of a stakeholder spreadsheet, and the validation of each row on its own."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry
from pydantic import ValidationError

from models.common import validate_country
from models.contact import ContactDetails
from models.organisation import OrganisationCreate, OrganisationKind
from pledgeflow.errors import FieldProblem, InvalidInput
from services.imports.spreadsheet import Sheet, formula_refusal

# Canonical column -> the names coordinators use for it (compared without case, spaces or dashes).
ALIASES: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation", "organization", "organisation name", "organization name", "org"),
    "kind": ("kind", "type", "organisation type", "organization type", "stakeholder type", "category"),
    "country": ("country", "country code", "pays"),
    "external_ref": ("external ref", "external reference", "external id", "reference", "ref"),
    "head_name": ("head name", "head", "head of organisation", "head of organization"),
    "head_email": ("head email", "head e-mail"),
    "contact_name": ("contact name", "contact", "full name"),
    "contact_email": ("contact email", "contact e-mail", "email", "e-mail", "email address"),
    "contact_title": ("contact title", "title", "job title", "position", "function"),
    "locale": ("locale", "language", "lang", "langue"),
    "timezone": ("timezone", "time zone", "tz"),
    "escalation_name": ("escalation name", "supervisor", "supervisor name"),
    "escalation_email": ("escalation email", "escalation e-mail", "supervisor email"),
}
REQUIRED = ("organisation", "kind", "country")
CONTACT_COLUMNS = (
    "contact_name",
    "contact_email",
    "contact_title",
    "locale",
    "timezone",
    "escalation_name",
    "escalation_email",
)
# Model field -> column, to name the column when a model validator refuses a value.
_ORGANISATION_FIELDS = {
    "name": "organisation",
    "kind": "kind",
    "country": "country",
    "external_ref": "external_ref",
    "head_name": "head_name",
    "head_email": "head_email",
}
_CONTACT_FIELDS = {
    "name": "contact_name",
    "email": "contact_email",
    "title": "contact_title",
    "locale": "locale",
    "timezone": "timezone",
    "escalation_name": "escalation_name",
    "escalation_email": "escalation_email",
}


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


_BY_ALIAS = {_squash(alias): column for column, aliases in ALIASES.items() for alias in (column, *aliases)}


def column_letter(index: int) -> str:
    """A, B, ... Z, AA: the column as a spreadsheet labels it (index from 0)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass
class Columns:
    """Where each known column is, and what the file calls it."""

    index: dict[str, int]
    header: dict[str, str]
    ignored: list[str]


def map_columns(header: list[str]) -> Columns:
    """Match the header row to the known columns; InvalidInput names missing or repeated ones."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[FieldProblem] = []
    for position, name in enumerate(header):
        if not name:
            continue
        column = _BY_ALIAS.get(_squash(name))
        if column is None:
            ignored.append(name)
        elif column in index:
            first = index[column]
            problems.append(
                FieldProblem(
                    f"columns.{column}",
                    f"columns {column_letter(first)} ('{header[first]}') and {column_letter(position)} "
                    f"('{name}') both mean {column}; keep one",
                )
            )
        else:
            index[column] = position
    required = list(REQUIRED)
    if any(c in index for c in CONTACT_COLUMNS):
        required += ["contact_name", "contact_email"]
    for column in required:
        if column not in index:
            problems.append(FieldProblem(f"columns.{column}", f"required column '{column}' is missing"))
    if problems:
        found = ", ".join(f"'{h}'" for h in header if h) or "none"
        missing = [p.field.removeprefix("columns.") for p in problems if p.reason.endswith("is missing")]
        detail = (
            f"missing columns: {', '.join(missing)} (found: {found})"
            if missing
            else "; ".join(p.reason for p in problems)
        )
        raise InvalidInput(detail, errors=problems)
    return Columns(index=index, header={c: header[i] for c, i in index.items()}, ignored=ignored)


def parse_kind(text: str) -> OrganisationKind:
    """Accept the enum value or its label, in any case; ValueError otherwise."""
    key = re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")
    plurals = (key, key.removesuffix("s"), key.removesuffix("ies") + "y")  # "Customs brokers", "Companies"
    for candidate in plurals:
        if candidate in OrganisationKind.__members__:
            return OrganisationKind(candidate)
    accepted = ", ".join(k.value for k in OrganisationKind)
    raise ValueError(
        f"'{text}' is not a kind of organisation; use one of: {accepted} "
        "(or the label, e.g. 'Customs broker')"
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@lru_cache(maxsize=1)
def _countries_by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                names[_fold(name)] = country.alpha_2
                # "Palestine, State of" is written "Palestine"; "Tanzania, United Republic of" too.
                names.setdefault(_fold(name.split(",")[0]), country.alpha_2)
    return names


@lru_cache(maxsize=1024)
def parse_country(text: str) -> str:
    """ISO 3166-1 alpha-2 from alpha-2, alpha-3 or the English name; ValueError otherwise."""
    value = text.strip()
    if len(value) == 2:
        return validate_country(value)
    if len(value) == 3 and value.isalpha():
        country = pycountry.countries.get(alpha_3=value.upper())
        if country is not None:
            return str(country.alpha_2)
    code = _countries_by_name().get(_fold(value))
    if code is None:
        raise ValueError(
            f"'{text}' is not a country; use the ISO 3166-1 alpha-2 code (e.g. 'GH'), alpha-3 ('GHA') "
            "or the English name"
        )
    return code


@dataclass(frozen=True)
class OrganisationValues:
    """An organisation as one row gives it; None means the cell was empty."""

    name: str
    kind: OrganisationKind
    country: str
    external_ref: str | None = None
    head_name: str | None = None
    head_email: str | None = None

    def given(self) -> dict[str, Any]:
        """The fields the row fills in."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class ContactValues:
    """A contact as one row gives it; empty optional cells leave a stored value alone."""

    email: str
    name: str
    title: str | None = None
    locale: str | None = None
    timezone: str | None = None
    escalation_name: str | None = None
    escalation_email: str | None = None

    def given(self) -> dict[str, Any]:
        """The fields the row fills in."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RowProblem:
    """Why a row is refused: the column (canonical name and as the file spells it) and the reason."""

    field: str
    reason: str
    column: str | None = None


@dataclass
class ParsedRow:
    """One data row, validated on its own (duplicates and conflicts are the planner's job)."""

    row: int
    organisation_name: str
    contact_email: str
    organisation: OrganisationValues | None = None
    contact: ContactValues | None = None
    problems: list[RowProblem] = field(default_factory=list)


def parse_rows(sheet: Sheet, columns: Columns) -> list[ParsedRow]:
    """Validate every data row; each problem names its column and reason."""
    return [_RowReader(number, cells, columns).parse() for number, cells in sheet.rows]


@dataclass
class _RowReader:
    number: int
    cells: list[str]
    columns: Columns
    problems: list[RowProblem] = field(default_factory=list)

    def cell(self, column: str) -> str | None:
        position = self.columns.index.get(column)
        if position is None or position >= len(self.cells):
            return None
        if reason := formula_refusal(self.cells[position]):
            self.refuse(column, reason)
        return self.cells[position].strip() or None

    def refuse(self, column: str, reason: str) -> None:
        if not any(p.field == column for p in self.problems):  # one reason per cell is enough
            self.problems.append(RowProblem(column, reason, self.columns.header.get(column)))

    def refuse_model(self, error: ValidationError, columns: dict[str, str]) -> None:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            self.refuse(
                columns.get(name, "row"), str(item.get("msg", "invalid")).removeprefix("Value error, ")
            )

    def parse(self) -> ParsedRow:
        organisation = self.organisation()
        contact = self.contact()
        parsed = ParsedRow(
            row=self.number,
            organisation_name=self.cell("organisation") or "",
            contact_email=self.cell("contact_email") or "",
        )
        if self.problems:
            parsed.problems = self.problems
        else:
            parsed.organisation, parsed.contact = organisation, contact
        return parsed

    def organisation(self) -> OrganisationValues | None:
        raw = {column: self.cell(column) for column in _ORGANISATION_FIELDS.values()}
        for column in REQUIRED:
            if raw[column] is None:
                self.refuse(column, "required")
        kind = country = None
        if raw["kind"] is not None:
            try:
                kind = parse_kind(raw["kind"])
            except ValueError as exc:
                self.refuse("kind", str(exc))
        if raw["country"] is not None:
            try:
                country = parse_country(raw["country"])
            except ValueError as exc:
                self.refuse("country", str(exc))
        # The model checks lengths and addresses; stand-ins keep it from repeating problems named above.
        data = {model: raw[column] for model, column in _ORGANISATION_FIELDS.items()}
        data.update(
            name=raw["organisation"] or "-", kind=kind or OrganisationKind.other, country=country or "GH"
        )
        try:
            model = OrganisationCreate.model_validate(data)
        except ValidationError as exc:
            self.refuse_model(exc, _ORGANISATION_FIELDS)
            return None
        return OrganisationValues(
            name=model.name,
            kind=model.kind,
            country=model.country,
            external_ref=model.external_ref,
            head_name=model.head_name,
            head_email=model.head_email,
        )

    def contact(self) -> ContactValues | None:
        raw = {column: self.cell(column) for column in _CONTACT_FIELDS.values()}
        if all(value is None for value in raw.values()):
            return None
        for column in ("contact_email", "contact_name"):
            if raw[column] is None:
                self.refuse(column, "required when the row names a contact")
        data = {model: raw[column] for model, column in _CONTACT_FIELDS.items()}
        data.update(
            name=raw["contact_name"] or "-",
            email=raw["contact_email"] or "stand-in@example.org",
            locale=raw["locale"] or "en",
        )
        try:
            model = ContactDetails.model_validate(data)
        except ValidationError as exc:
            self.refuse_model(exc, _CONTACT_FIELDS)
            return None
        return ContactValues(
            email=model.email,
            name=model.name,
            title=model.title,
            locale=model.locale if raw["locale"] is not None else None,
            timezone=model.timezone,
            escalation_name=model.escalation_name,
            escalation_email=model.escalation_email,
        )
