"""The pages people open from an email or the public register (server-rendered HTML)."""
