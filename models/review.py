"""Review cycles: cadence, deadlines, reviewers and report template, per campaign."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

DEFAULT_FILE_TYPES = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


class ReportWindow(BaseModel):
    """A fixed calendar window in which reports are made, e.g. 04-01 to 06-30."""

    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")

    @model_validator(mode="after")
    def _valid_days(self) -> ReportWindow:
        for value in (self.start, self.end):
            month, day = (int(p) for p in value.split("-"))
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                raise ValueError(f"'{value}' is not a month and day (MM-DD)")
        if self.end <= self.start:
            raise ValueError("a window ends after it starts, within one calendar year")
        return self


class ReportTemplate(BaseModel):
    """What the report form asks, beyond a status and a narrative per commitment."""

    introduction: str = Field(default="", max_length=4000)
    prompts: dict[str, str] = Field(default_factory=dict, description="Guidance per commitment key")
    max_file_mb: int = Field(default=10, ge=1, le=50)
    allowed_types: list[str] = Field(default_factory=lambda: list(DEFAULT_FILE_TYPES))


class ReviewSettings(BaseModel):
    """Every N months from the day the pact came in force, or fixed calendar windows."""

    every_months: int | None = Field(default=12, description="3, 6 or 12")
    windows: list[ReportWindow] = Field(default_factory=list)
    report_due_days: int = Field(default=30, ge=1, description="Days to report once a cycle opens")
    reminder_days_before_due: list[int] = Field(default_factory=lambda: [7, 1])
    review_days: int = Field(default=14, ge=1, description="Days a reviewer has to decide")
    revision_days: int = Field(default=14, ge=1, description="Days to resubmit a report sent back")
    grace_days: int = Field(default=30, ge=0, description="Overdue this long: non-compliant")
    lapse_days: int = Field(default=60, ge=1, description="Non-compliant this long: lapsed")
    reviewers: list[EmailStr] = Field(default_factory=list, description="Users with the reviewer role")
    template: ReportTemplate = Field(default_factory=ReportTemplate)

    @field_validator("every_months")
    @classmethod
    def _cadence(cls, value: int | None) -> int | None:
        if value is not None and value not in (3, 6, 12):
            raise ValueError("every_months is 3, 6 or 12")
        return value

    @field_validator("reminder_days_before_due")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(d <= 0 for d in value):
            raise ValueError("reminders come a positive number of days before the due date")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _one_cadence(self) -> ReviewSettings:
        if self.windows:
            self.every_months = None
        if self.every_months is None and not self.windows:
            raise ValueError("set every_months (3, 6 or 12) or calendar windows")
        if any(d >= self.report_due_days for d in self.reminder_days_before_due) and not self.windows:
            raise ValueError("a reminder before the due date falls before the cycle opens")
        return self
