"""Developer scripts run on purpose (never by the suite): python -m scripts.<name>."""
