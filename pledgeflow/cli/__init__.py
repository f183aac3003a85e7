"""The command line: `pledgeflow` and its groups of commands (entry point: main.main)."""
