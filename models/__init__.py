"""SQLModel records and API schemas; importing this package registers every table."""

from sqlmodel import SQLModel

from models.action_plan import ActionPlan, PlanVersion
from models.audit import AuditEntry, AuditHead
from models.campaign import Campaign
from models.contact import Contact
from models.email_message import EmailMessage
from models.escalation import Escalation
from models.invitation import Invitation
from models.organisation import Organisation
from models.plan_report import IndicatorReading, MilestoneUpdate, PlanReport
from models.pledge import Pledge
from models.programme import Programme, ProgrammeCountry
from models.report import Evidence, Report, ReportItem, SignatoryStanding
from models.signature import Signature
from models.staff_session import SignInLink, StaffSession
from models.user import ApiToken, CampaignShare, User

# Ids are never reused, on SQLite as on PostgreSQL: workflow ids are derived from them, and a
# reused id would meet the workflow of a deleted record.
for _table in SQLModel.metadata.tables.values():
    _table.dialect_kwargs["sqlite_autoincrement"] = True

__all__ = [
    "ActionPlan",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "Campaign",
    "CampaignShare",
    "Contact",
    "EmailMessage",
    "Escalation",
    "Evidence",
    "IndicatorReading",
    "Invitation",
    "MilestoneUpdate",
    "Organisation",
    "PlanReport",
    "PlanVersion",
    "Pledge",
    "Programme",
    "ProgrammeCountry",
    "Report",
    "ReportItem",
    "SignInLink",
    "SignatoryStanding",
    "Signature",
    "StaffSession",
    "User",
]
