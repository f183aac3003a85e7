"""Connect to Temporal as configured: a cluster, Temporal Cloud, or the embedded dev server."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import TLSConfig

from pledgeflow.config import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS from certificate files, plain TLS for an API key, or none."""
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
            server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        )
    return bool(settings.temporal_api_key)


async def connect(settings: Settings, address: str | None = None) -> Client:
    """A client for the configured namespace; `address` overrides (the embedded server's)."""
    target = address or settings.temporal_address
    if not target:
        raise ValueError("no Temporal address: set PLEDGEFLOW_TEMPORAL_ADDRESS or run `pledgeflow dev`")
    return await Client.connect(
        target,
        namespace=settings.temporal_namespace,
        tls=tls_config(settings),
        api_key=settings.temporal_api_key or None,
    )
