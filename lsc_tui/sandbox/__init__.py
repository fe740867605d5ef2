"""Runs untrusted candidate code in contained, resource-limited subprocesses.

See ``sandbox.py`` for the verdict rules and ``tiers.py`` for what each
containment tier blocks.
"""

from lsc_tui.sandbox.limits import Limits
from lsc_tui.sandbox.sandbox import CallOutcome, Sandbox
from lsc_tui.sandbox.tiers import TierStatus, probe_tiers

__all__ = ["CallOutcome", "Limits", "Sandbox", "TierStatus", "probe_tiers"]
