"""Coding tasks: typed ones and MBPP / MBPP+ by number."""
