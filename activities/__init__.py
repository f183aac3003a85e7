"""Temporal activities: every external effect (database, SMTP, Temporal client) lives here."""
