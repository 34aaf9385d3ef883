"""The `corridor` command line: `main` in main.py, one module per group of subcommands."""

from model.cli.main import main

__all__ = ["main"]
