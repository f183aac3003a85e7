"""Stakeholder import: plan what a spreadsheet creates, updates or refuses, then apply the plan.

Matching, so that importing the same file twice changes nothing: an organisation is the stored
one with the row's external_ref, else the one with its name (ignoring case and spacing) in its
country; a contact is the organisation's contact with the row's email. An empty optional cell
leaves the stored value alone, so "update" means a filled-in cell really differs.

Everything is matched within the importer's own directory (the organisations they own): a file
never reads, updates or even names another coordinator's records, and what it creates is theirs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.common import utcnow
from models.contact import Contact
from models.imports import (
    ImportChange,
    ImportCounts,
    ImportOutcome,
    ImportProblem,
    ImportReport,
    ImportRow,
    ImportSummary,
    ImportWarning,
    RowCounts,
)
from models.organisation import Organisation
from pledgeflow.errors import Conflict, FieldProblem
from pledgeflow.i18n import Catalogs
from services import audit
from services.imports.languages import LanguageWarning, readers_catalogs, untranslated
from services.imports.rows import (
    Columns,
    ContactValues,
    OrganisationValues,
    ParsedRow,
    RowProblem,
    map_columns,
    parse_rows,
)
from services.imports.spreadsheet import Sheet

Outcome = ImportOutcome
T = TypeVar("T")

_CHUNK = 500  # values per IN (...): far below SQLite's and PostgreSQL's parameter limits
_RANK = {Outcome.unchanged: 0, Outcome.update: 1, Outcome.create: 2}
_ORGANISATION_FIELDS = ("name", "kind", "country", "external_ref", "head_name", "head_email")
_CONTACT_FIELDS = ("email", "name", "title", "locale", "timezone", "escalation_name", "escalation_email")
# Field of the records -> the column a problem names.
_ORGANISATION_COLUMN = {"name": "organisation"}
_CONTACT_COLUMN = {"email": "contact_email", "name": "contact_name", "title": "contact_title"}


def name_key(name: str, country: str) -> tuple[str, str]:
    """How organisation names are compared: without case or repeated spaces, within a country."""
    return " ".join(name.casefold().split()), country


@dataclass(eq=False)
class Stored:
    """A stored record's id and the fields an import compares."""

    id: int
    values: dict[str, Any]


@dataclass
class Existing:
    """The stored organisations and contacts a file can match, loaded in a few queries."""

    organisations: list[Stored] = field(default_factory=list)
    contacts: dict[tuple[int, str], Stored] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_ref: dict[str, list[Stored]] = {}
        self.by_name: dict[tuple[str, str], list[Stored]] = {}
        for organisation in self.organisations:
            if organisation.values["external_ref"]:
                self.by_ref.setdefault(organisation.values["external_ref"], []).append(organisation)
            key = name_key(organisation.values["name"], organisation.values["country"])
            self.by_name.setdefault(key, []).append(organisation)


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _in_directory(owner_id: int | None) -> Any:
    return col(Organisation.owner_id).is_(None) if owner_id is None else Organisation.owner_id == owner_id


def load_existing(session: Session, rows: Sequence[ParsedRow], *, owner_id: int | None = None) -> Existing:
    """The directory's organisations in the file's countries or with its references, and their contacts."""
    wanted = [r.organisation for r in rows if r.organisation is not None]
    countries = sorted({o.country for o in wanted})
    refs = sorted({o.external_ref for o in wanted if o.external_ref})
    columns = [col(getattr(Organisation, name)) for name in ("id", *_ORGANISATION_FIELDS)]
    found: dict[int, Stored] = {}
    scope = _in_directory(owner_id)
    for column, values in ((col(Organisation.country), countries), (col(Organisation.external_ref), refs)):
        for chunk in _chunks(values):
            for record in session.exec(select(*columns).where(column.in_(chunk), scope)).all():
                found[record[0]] = Stored(record[0], dict(zip(_ORGANISATION_FIELDS, record[1:], strict=True)))
    existing = Existing(organisations=list(found.values()))
    # Only the contacts of organisations some row can match: bounded by the file, not the table.
    matched = {s.id for o in wanted for s in existing.by_ref.get(o.external_ref or "", [])}
    matched |= {s.id for o in wanted for s in existing.by_name.get(name_key(o.name, o.country), [])}
    contact_columns = [col(getattr(Contact, name)) for name in ("id", "organisation_id", *_CONTACT_FIELDS)]
    for ids in _chunks(sorted(matched)):
        query = select(*contact_columns).where(col(Contact.organisation_id).in_(ids))
        for record in session.exec(query).all():
            stored = Stored(record[0], dict(zip(_CONTACT_FIELDS, record[2:], strict=True)))
            existing.contacts[(record[1], stored.values["email"])] = stored
    return existing


@dataclass(eq=False)
class OrganisationPlan:
    """One organisation the file names: new, or matched to a stored one."""

    first_row: int
    stored: Stored | None
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)  # field -> the row that set it
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    contact_rows: dict[str, int] = field(default_factory=dict)  # email ('' for none) -> first row
    id: int | None = None
    accepted: bool = False  # some row uses it

    def __post_init__(self) -> None:
        if self.stored is not None:
            self.id = self.stored.id

    @property
    def outcome(self) -> Outcome:
        """create, update or unchanged."""
        if self.stored is None:
            return Outcome.create
        return Outcome.update if self.changes else Outcome.unchanged


@dataclass(eq=False)
class ContactPlan:
    """One contact of one row: new, or matched to a stored one by organisation and email."""

    row: int
    organisation: OrganisationPlan
    stored: Stored | None
    values: dict[str, Any]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        if self.stored is not None:
            self.id = self.stored.id

    @property
    def outcome(self) -> Outcome:
        """create, update or unchanged."""
        if self.stored is None:
            return Outcome.create
        return Outcome.update if self.changes else Outcome.unchanged


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class RowPlan:
    """What one row does, or why it is refused."""

    row: int
    organisation_name: str
    contact_email: str
    organisation: OrganisationPlan | None = None
    organisation_outcome: Outcome | None = None
    contact: ContactPlan | None = None
    changes: list[FieldChange] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[LanguageWarning] = field(default_factory=list)  # accepted all the same

    @property
    def outcome(self) -> Outcome:
        """refused, or the most a row does: create, then update, then unchanged."""
        if self.problems:
            return Outcome.refused
        outcomes = [self.organisation_outcome or Outcome.unchanged]
        if self.contact is not None:
            outcomes.append(self.contact.outcome)
        return max(outcomes, key=lambda o: _RANK[o])


@dataclass
class ImportPlan:
    """Every row's outcome, and the distinct organisations and contacts to write."""

    file_name: str
    format: str
    sha256: str
    notices: list[str]
    rows: list[RowPlan]
    organisations: list[OrganisationPlan]
    contacts: list[ContactPlan]
    owner_id: int | None = None  # the directory the file was matched against and writes into
    applied: bool = False

    @property
    def refused(self) -> list[RowPlan]:
        """The rows that are refused."""
        return [r for r in self.rows if r.problems]

    @property
    def has_changes(self) -> bool:
        """True when applying would write anything."""
        planned: list[OrganisationPlan | ContactPlan] = [*self.organisations, *self.contacts]
        return any(p.outcome is not Outcome.unchanged for p in planned)


class _Planner:
    """Walks the valid rows in order, matching each to an organisation and a contact."""

    def __init__(self, existing: Existing, headers: dict[str, str], catalogs: Catalogs) -> None:
        self.existing = existing
        self.headers = headers
        self.catalogs = catalogs
        self.organisations: list[OrganisationPlan] = []
        self.contacts: list[ContactPlan] = []
        self.by_stored_id: dict[int, OrganisationPlan] = {}
        self.by_ref: dict[str, OrganisationPlan] = {}
        self.by_name: dict[tuple[str, str], OrganisationPlan] = {}

    def plan_row(self, parsed: ParsedRow) -> RowPlan:
        plan = RowPlan(
            parsed.row, parsed.organisation_name, parsed.contact_email, problems=list(parsed.problems)
        )
        if parsed.organisation is None:
            return plan
        target = self._match(parsed.row, parsed.organisation, plan.problems)
        if target is not None:
            self._check_agrees(parsed.organisation, target, plan.problems)
            contact_key = parsed.contact.email if parsed.contact else ""
            first = target.contact_rows.get(contact_key)
            if first is not None:
                what = f"contact {contact_key}" if contact_key else "no contact"
                field_name = "contact_email" if contact_key else "organisation"
                plan.problems.append(
                    self._problem(field_name, f"duplicate of row {first}: same organisation and {what}")
                )
        if plan.problems or target is None:
            return plan
        self._accept(plan, parsed, target)
        return plan

    def _problem(self, column: str, reason: str) -> RowProblem:
        return RowProblem(column, reason, self.headers.get(column))

    def _for_stored(self, row: int, stored: Stored) -> OrganisationPlan:
        return self.by_stored_id.get(stored.id) or OrganisationPlan(first_row=row, stored=stored)

    def _match(
        self, row: int, values: OrganisationValues, problems: list[RowProblem]
    ) -> OrganisationPlan | None:
        ref, key = values.external_ref, name_key(values.name, values.country)
        target: OrganisationPlan | None = None
        if ref:
            target = self.by_ref.get(ref)
            stored_by_ref = self.existing.by_ref.get(ref, [])
            if target is None and len(stored_by_ref) > 1:
                ids = ", ".join(str(s.id) for s in stored_by_ref)
                problems.append(
                    self._problem("external_ref", f"'{ref}' is the external_ref of organisations {ids}")
                )
                return None
            if target is None and stored_by_ref:
                target = self._for_stored(row, stored_by_ref[0])
        named = self.by_name.get(key)
        stored_named = self.existing.by_name.get(key, [])
        if target is None:
            target = named
        if target is None and stored_named:
            exact = [s for s in stored_named if s.values["name"] == values.name]
            if len(stored_named) > 1 and len(exact) != 1:
                ids = ", ".join(str(s.id) for s in stored_named)
                problems.append(
                    self._problem(
                        "organisation",
                        f"matches organisations {ids}, whose names differ only in case or spacing",
                    )
                )
                return None
            target = self._for_stored(row, exact[0] if exact else stored_named[0])
        if target is None:
            return OrganisationPlan(first_row=row, stored=None)
        # A renamed organisation must not take the name of another one, in the file or stored.
        if named is not None and named is not target:
            problems.append(
                self._problem(
                    "organisation",
                    f"'{values.name}' in {values.country} is the organisation of row {named.first_row}, "
                    "which has another external_ref",
                )
            )
        # Stored names that differ only in case are told apart by the exact spelling.
        exact_target = target.stored is not None and target.stored.values["name"] == values.name
        for stored in [] if exact_target else stored_named:
            if target.stored is None or stored.id != target.stored.id:
                problems.append(
                    self._problem(
                        "organisation",
                        f"organisation {stored.id} is already named '{stored.values['name']}' "
                        f"in {values.country}",
                    )
                )
        return target

    def _check_agrees(
        self, values: OrganisationValues, target: OrganisationPlan, problems: list[RowProblem]
    ) -> None:
        for name, new in values.given().items():
            old = target.values.get(name)
            if old is not None and old != new:
                problems.append(
                    self._problem(
                        _ORGANISATION_COLUMN.get(name, name),
                        f"'{new}' differs from row {target.sources[name]} ('{old}') "
                        "for the same organisation",
                    )
                )
        stored_ref = target.stored.values["external_ref"] if target.stored else None
        if values.external_ref and stored_ref and stored_ref != values.external_ref:
            problems.append(
                self._problem(
                    "external_ref",
                    f"organisation {target.id} ('{target.stored.values['name'] if target.stored else ''}') "
                    f"has external_ref '{stored_ref}', not '{values.external_ref}'",
                )
            )

    def _accept(self, plan: RowPlan, parsed: ParsedRow, target: OrganisationPlan) -> None:
        values = parsed.organisation
        assert values is not None
        if not target.accepted:
            target.accepted = True
            self.organisations.append(target)
            if target.stored is not None:
                self.by_stored_id[target.stored.id] = target
        if values.external_ref:
            self.by_ref[values.external_ref] = target
        self.by_name[name_key(values.name, values.country)] = target
        plan.organisation = target
        changed = False
        for name, new in values.given().items():
            if name in target.values:
                continue
            target.values[name] = new
            target.sources[name] = parsed.row
            if target.stored is not None and target.stored.values[name] != new:
                target.changes[name] = (target.stored.values[name], new)
                plan.changes.append(FieldChange(f"organisation.{name}", target.stored.values[name], new))
                changed = True
        if target.stored is None:
            plan.organisation_outcome = Outcome.create
        else:
            plan.organisation_outcome = Outcome.update if changed else Outcome.unchanged
        target.contact_rows[parsed.contact.email if parsed.contact else ""] = parsed.row
        if parsed.contact is not None:
            plan.contact = self._contact(plan, parsed.contact, target)

    def _contact(self, plan: RowPlan, values: ContactValues, target: OrganisationPlan) -> ContactPlan:
        stored = self.existing.contacts.get((target.stored.id, values.email)) if target.stored else None
        contact = ContactPlan(row=plan.row, organisation=target, stored=stored, values=values.given())
        if stored is None:
            contact.values.setdefault("locale", "en")
        else:
            for name, new in contact.values.items():
                if stored.values[name] != new:
                    contact.changes[name] = (stored.values[name], new)
                    plan.changes.append(FieldChange(f"contact.{name}", stored.values[name], new))
        # The locale the contact will have once imported: the row's, else the stored one.
        locale = contact.values.get("locale") or (stored.values["locale"] if stored else None)
        warning = untranslated(locale, self.catalogs, column=self.headers.get("locale"))
        if warning is not None:
            plan.warnings.append(warning)
        self.contacts.append(contact)
        return contact


def build_plan(
    sheet: Sheet,
    columns: Columns,
    rows: Sequence[ParsedRow],
    existing: Existing,
    *,
    file_name: str,
    sha256: str,
    catalogs: Catalogs | None = None,
) -> ImportPlan:
    """Decide each row's outcome against the stored records (no database access).

    `catalogs` tell which contacts' languages have no translation (the readers' by default).
    """
    planner = _Planner(existing, columns.header, catalogs or readers_catalogs())
    planned = [planner.plan_row(row) for row in rows]
    return ImportPlan(
        file_name=file_name,
        format=sheet.format,
        sha256=sha256,
        notices=list(sheet.notices),
        rows=planned,
        organisations=planner.organisations,
        contacts=planner.contacts,
    )


def plan(
    session: Session,
    sheet: Sheet,
    *,
    content: bytes,
    file_name: str,
    owner_id: int | None = None,
    catalogs: Catalogs | None = None,
) -> ImportPlan:
    """Read the rows, load what they can match in the owner's directory, and plan.

    InvalidInput for missing columns. `owner_id` None is the directory of unowned records.
    `catalogs`: the readers' by default; a row whose contact's language has none gets a warning.
    """
    columns = map_columns(sheet.header)
    rows = parse_rows(sheet, columns)
    existing = load_existing(session, rows, owner_id=owner_id)
    import_plan = build_plan(
        sheet,
        columns,
        rows,
        existing,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        catalogs=catalogs,
    )
    import_plan.owner_id = owner_id
    if columns.ignored:
        import_plan.notices.append("ignored columns: " + ", ".join(f"'{c}'" for c in columns.ignored))
    return import_plan


class RowsRefused(Conflict):
    """Some rows are refused and the good ones were not confirmed: nothing is applied."""

    @classmethod
    def of(cls, import_plan: ImportPlan) -> RowsRefused:
        """The refusal, naming every refused cell as rows[<row number>].<column>."""
        refused = import_plan.refused
        good = len(import_plan.rows) - len(refused)
        errors = [FieldProblem(f"rows[{r.row}].{p.field}", p.reason) for r in refused for p in r.problems]
        if good:
            advice = f"fix them, or confirm the {good} good rows with accept_good_rows"
        else:
            advice = "no row can be imported"
        return cls(
            f"{len(refused)} of {len(import_plan.rows)} rows are refused (rows[n] is the spreadsheet's row "
            f"number); nothing was applied: {advice}",
            errors=errors,
        )


def apply(session: Session, import_plan: ImportPlan, *, actor: str, accept_good_rows: bool) -> None:
    """Write the good rows in the caller's transaction, or raise RowsRefused and write nothing."""
    refused = import_plan.refused
    if refused and (not accept_good_rows or len(refused) == len(import_plan.rows)):
        raise RowsRefused.of(import_plan)
    if not import_plan.has_changes:
        import_plan.applied = True  # nothing differs: nothing to write, nothing to record
        return
    now = utcnow()
    try:
        _write(session, import_plan, now)
    except IntegrityError as exc:
        raise Conflict(
            "organisations or contacts changed while the file was imported; nothing was applied, "
            "import it again"
        ) from exc
    # One summary entry instead of the services' entry per record: appending locks the chain's
    # head and flushes once per entry, which takes minutes for 10,000 rows. The file's SHA-256
    # and the ids written let an auditor tie every record to the file.
    summary = summarise(import_plan)
    audit.append(
        session,
        kind="import.applied",
        actor=actor,
        subject=f"import:{import_plan.sha256[:16]}",
        data={
            "file_name": import_plan.file_name,
            "sha256": import_plan.sha256,
            "owner_id": import_plan.owner_id,
            "accepted_good_rows": bool(refused),
            "refused_rows": [r.row for r in refused],
            "counts": summary.model_dump(),
            "organisations_created": [o.id for o in import_plan.organisations if o.outcome is Outcome.create],
            "organisations_updated": [o.id for o in import_plan.organisations if o.outcome is Outcome.update],
            "contacts_created": [c.id for c in import_plan.contacts if c.outcome is Outcome.create],
            "contacts_updated": [c.id for c in import_plan.contacts if c.outcome is Outcome.update],
        },
        at=now,
    )
    import_plan.applied = True


def _write(session: Session, import_plan: ImportPlan, now: datetime) -> None:
    # Bulk statements (INSERT ... RETURNING, UPDATE by primary key in batches) rather than the
    # services' create/update, which flush one record at a time.
    new_organisations = [o for o in import_plan.organisations if o.outcome is Outcome.create]
    if new_organisations:
        rows = [
            {**o.values, "owner_id": import_plan.owner_id, "created_at": now, "updated_at": now}
            for o in new_organisations
        ]
        statement = insert(Organisation).returning(col(Organisation.id), sort_by_parameter_order=True)
        for organisation, new_id in zip(
            new_organisations, session.exec(statement, params=rows).scalars(), strict=True
        ):
            organisation.id = new_id
    changed = [
        {"id": o.id, **{k: v for k, (_, v) in o.changes.items()}, "updated_at": now}
        for o in import_plan.organisations
        if o.outcome is Outcome.update
    ]
    if changed:
        session.exec(update(Organisation), params=changed)
    new_contacts = [c for c in import_plan.contacts if c.outcome is Outcome.create]
    if new_contacts:
        rows = [
            {**c.values, "organisation_id": c.organisation.id, "created_at": now, "updated_at": now}
            for c in new_contacts
        ]
        statement = insert(Contact).returning(col(Contact.id), sort_by_parameter_order=True)
        for contact, new_id in zip(new_contacts, session.exec(statement, params=rows).scalars(), strict=True):
            contact.id = new_id
    changed = [
        {"id": c.id, **{k: v for k, (_, v) in c.changes.items()}, "updated_at": now}
        for c in import_plan.contacts
        if c.outcome is Outcome.update
    ]
    if changed:
        session.exec(update(Contact), params=changed)
    session.flush()


def _counts(outcomes: Sequence[Outcome]) -> ImportCounts:
    return ImportCounts(
        create=outcomes.count(Outcome.create),
        update=outcomes.count(Outcome.update),
        unchanged=outcomes.count(Outcome.unchanged),
    )


def summarise(import_plan: ImportPlan) -> ImportSummary:
    """Counts of rows by outcome, and of distinct organisations and contacts."""
    row_outcomes = [r.outcome for r in import_plan.rows]
    return ImportSummary(
        rows=RowCounts(
            **_counts(row_outcomes).model_dump(),
            refused=row_outcomes.count(Outcome.refused),
            total=len(row_outcomes),
        ),
        organisations=_counts([o.outcome for o in import_plan.organisations]),
        contacts=_counts([c.outcome for c in import_plan.contacts]),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def report(import_plan: ImportPlan, *, dry_run: bool, accept_good_rows: bool) -> ImportReport:
    """The row-by-row report the API answers and the command line prints."""
    rows = []
    for row in import_plan.rows:
        organisation = row.organisation
        rows.append(
            ImportRow(
                row=row.row,
                outcome=row.outcome,
                organisation=row.organisation_name,
                organisation_outcome=row.organisation_outcome,
                organisation_id=organisation.id if organisation else None,
                same_organisation_as_row=(
                    organisation.first_row if organisation and organisation.first_row != row.row else None
                ),
                contact_email=row.contact.values["email"] if row.contact else row.contact_email or None,
                contact_outcome=row.contact.outcome if row.contact else None,
                contact_id=row.contact.id if row.contact else None,
                changes=[
                    ImportChange(field=c.field, old=_text(c.old), new=_text(c.new)) for c in row.changes
                ],
                problems=[
                    ImportProblem(field=p.field, column=p.column, reason=p.reason) for p in row.problems
                ],
                warnings=[
                    ImportWarning(
                        field=w.field,
                        column=w.column,
                        value=w.value,
                        language=w.language,
                        fallback=w.fallback,
                        fallback_language=w.fallback_language,
                        reason=w.reason,
                    )
                    for w in row.warnings
                ],
            )
        )
    return ImportReport(
        file_name=import_plan.file_name,
        format=import_plan.format,
        sha256=import_plan.sha256,
        dry_run=dry_run,
        accept_good_rows=accept_good_rows,
        applied=import_plan.applied,
        notices=import_plan.notices,
        summary=summarise(import_plan),
        rows=rows,
    )
