"""A local SMTP server that keeps what it receives, and a web view of its mailbox."""
