"""`python -m model.cli`: the same as the `corridor` command."""

import sys

from model.cli.main import main

sys.exit(main())
