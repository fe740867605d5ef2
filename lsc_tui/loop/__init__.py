"""The generate, check, test, critique loop and its pipelines (no Textual here)."""
