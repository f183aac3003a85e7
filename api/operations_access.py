"""Who may read the operations detail: /metrics and the checks behind /readyz.

Both tell an outsider what the service runs on and how busy it is. With PLEDGEFLOW_METRICS_TOKEN
set they take that Bearer token; without it they are closed in production and open elsewhere.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from pledgeflow.config import Settings


def may_read_operations_detail(request: Request, settings: Settings) -> bool:
    """True when the request carries the metrics token, or none is needed outside production."""
    if not settings.metrics_token:
        return settings.env != "production"
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return False
    return hmac.compare_digest(credentials.strip().encode(), settings.metrics_token.encode())
