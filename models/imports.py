"""The report of a stakeholder import, as the API answers it and the command line prints it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class ImportOutcome(StrEnum):
    """What an import does with a row, an organisation or a contact."""

    create = "create"
    update = "update"
    unchanged = "unchanged"
    refused = "refused"


class ImportProblem(BaseModel):
    field: str = Field(description="The column's canonical name, e.g. 'contact_email', or 'row'")
    column: str | None = Field(default=None, description="The column's name as the file spells it")
    reason: str


class ImportWarning(BaseModel):
    """Something about an accepted row the importer should know: it is imported all the same."""

    field: str = Field(description="The column's canonical name: 'locale'")
    column: str | None = Field(default=None, description="The column's name as the file spells it")
    value: str = Field(description="The contact's locale, e.g. 'ne'")
    language: str = Field(description="The language it names, in English, e.g. 'Nepali'")
    fallback: str = Field(description="The locale the contact will get instead, e.g. 'en'")
    fallback_language: str = Field(description="That language, in English, e.g. 'English'")
    reason: str = Field(description="The warning in English")


class ImportChange(BaseModel):
    field: str = Field(description="e.g. 'organisation.head_email' or 'contact.title'")
    old: str | None
    new: str | None


class ImportRow(BaseModel):
    row: int = Field(description="The row number as the spreadsheet shows it (the header is row 1)")
    outcome: ImportOutcome
    organisation: str = Field(description="The organisation as the row names it")
    organisation_outcome: ImportOutcome | None = None
    organisation_id: int | None = Field(default=None, description="Known once stored")
    same_organisation_as_row: int | None = Field(
        default=None, description="The first row naming this organisation, when it is an earlier one"
    )
    contact_email: str | None = None
    contact_outcome: ImportOutcome | None = None
    contact_id: int | None = None
    changes: list[ImportChange] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)
    warnings: list[ImportWarning] = Field(
        default_factory=list, description="Accepted all the same, e.g. a language with no translation yet"
    )


class ImportCounts(BaseModel):
    create: int = 0
    update: int = 0
    unchanged: int = 0


class RowCounts(ImportCounts):
    refused: int = 0
    total: int = 0


class ImportSummary(BaseModel):
    rows: RowCounts
    organisations: ImportCounts
    contacts: ImportCounts


class ImportReport(BaseModel):
    file_name: str
    format: str = Field(description="'csv' or 'xlsx'")
    sha256: str = Field(description="SHA-256 of the file as uploaded, recorded in the audit log")
    dry_run: bool
    accept_good_rows: bool
    applied: bool = Field(description="True when the good rows were written")
    notices: list[str] = Field(default_factory=list, description="How the file was read")
    summary: ImportSummary
    rows: list[ImportRow]
