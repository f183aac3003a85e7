"""Email: rendering from templates is separate from sending over SMTP."""
