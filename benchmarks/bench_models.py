"""Where the benchmark scripts find the real test models by default."""

from __future__ import annotations

import os
from pathlib import Path

TEST_MODELS_DIR = Path(
    os.environ.get("LSC_TEST_MODELS") or Path.home() / ".cache" / "lsc-test-models"
)
"""Where ../shared/tools/fetch-test-models puts the models it fetches."""

DEFAULT_MODEL = TEST_MODELS_DIR / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
"""Qwen2.5-Coder-0.5B Q4_K_M: fast enough for repeated runs on 2 cores."""
