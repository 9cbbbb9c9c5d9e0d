"""Command-line pieces kept out of cli.py: serve options, logging setup, state commands."""
