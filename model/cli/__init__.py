"""The `corridor` command line: `main` in main.py, one module per group of subcommands.

`python -m model.cli` runs it (__main__.py); the installed `corridor` script calls main.main.
"""
