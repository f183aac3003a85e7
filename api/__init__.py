"""FastAPI: the JSON API for coordinators and auditors, and the pages behind email links."""
