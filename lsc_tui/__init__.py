"""lsc-tui: small code LLMs in a generate, compile, test, critique loop."""

__version__ = "0.1.0"
