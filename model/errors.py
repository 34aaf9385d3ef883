"""The one exception type users see: bad input, reported without a traceback."""


class InputError(Exception):
    """A problem with a user's file or flag.

    The CLI prints ``str(error)`` and exits with status 2. The message names the file,
    the field and what was expected, so the user can fix it without reading code.
    """

    def __init__(self, path, field: str | None, message: str):
        self.path = str(path) if path is not None else None
        self.field = field
        self.message = message
        where = self.path or "<input>"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")
