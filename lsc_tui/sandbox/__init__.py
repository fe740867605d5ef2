"""Runs untrusted candidate code in contained, resource-limited subprocesses."""
