"""Persisted run history (SQLite in the data directory)."""
