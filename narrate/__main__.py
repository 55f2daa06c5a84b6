"""`python -m narrate` is the `narrate` command."""

from narrate.cli.main import main

main()
