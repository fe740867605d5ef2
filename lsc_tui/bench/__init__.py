"""Benchmarks: run MBPP / MBPP+ through pipelines and score them honestly.

``selection`` picks tasks, ``runner`` runs them through the shared Session and
writes JSONL, ``stats`` holds the Wilson and paired-gain intervals, ``report``
turns records into tables, ``suspicious`` flags hard-coded test literals and
``machine`` describes the hardware a bench ran on.
"""
