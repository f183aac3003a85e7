"""Development-only tools: the local stack, the demo campaign, the mail sink, the Temporal binaries."""
