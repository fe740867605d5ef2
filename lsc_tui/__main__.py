"""`python -m lsc_tui` runs the `lsc` command line."""

from lsc_tui.cli import main

main()
