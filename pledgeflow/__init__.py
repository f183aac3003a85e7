"""pledgeflow: collective-action workflows for integrity in customs."""

__version__ = "0.1.0"
