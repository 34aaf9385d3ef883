"""The one exception type users see: bad input, reported without a traceback."""

import sys


class InputError(Exception):
    """A problem with a user's file or flag.

    The CLI prints ``str(error)`` and exits with status 2. The message names the file,
    the field and what was expected, so the user can fix it without reading code.
    """

    def __init__(self, path, field: str | None, message: str):
        self.path = str(path) if path is not None else None
        self.field = field
        self.message = message
        super().__init__(f"{where(path, field)}: {message}")


def where(path, field: str | None) -> str:
    """`<file>: field '<field>'`, the start of every error and warning line."""
    out = str(path) if path is not None else "<input>"
    return out + (f": field '{field}'" if field else "")


def warn(path, field: str | None, message: str) -> None:
    """One line on stderr for input that is usable but probably not what the user meant."""
    print(f"corridor: warning: {where(path, field)}: {message}", file=sys.stderr, flush=True)
