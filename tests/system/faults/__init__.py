"""Durability under faults: a refusing, failing or vanishing SMTP server, database or process."""
