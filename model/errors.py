"""The one exception type users see: bad input, reported without a traceback."""

import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError


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


# Names pydantic puts in an error location for the member of a union (`float | None`) or a
# validator it tried: they are not fields the user wrote.
_NOT_FIELDS = {"float", "bool", "str", "int", "enum", "list[str]", "literal['set','multiply']"}


def fmt_loc(loc: tuple) -> str:
    """('policy', 0, 'value') -> 'policy[0].value', the way fields are written in TOML paths."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _field(loc: tuple) -> str:
    return fmt_loc(tuple(p for p in loc if not (isinstance(p, str) and (
        p.startswith("function-") or p in _NOT_FIELDS))))


def from_validation(exc, path, guide: str) -> InputError:
    """The first problem of a pydantic ValidationError as one InputError; `guide` names the
    README section that lists the fields, for misspelt ones."""
    errors = exc.errors()
    err = errors[0]
    field = _field(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f"unknown field (check the spelling; see README '{guide}')"
    elif err["type"] != "missing" and "input" in err and not isinstance(err["input"], dict):
        msg += f" (got {err['input']!r})"
    # pydantic reports one error per member of a union (float | None): count fields, not errors
    more = len({_field(e["loc"]) for e in errors} - {field})
    if more:
        msg += f" [and {more} more problem{'s' if more > 1 else ''}]"
    return InputError(path, field or None, msg)


def read_toml(path: Path | str) -> dict:
    """A user's TOML file (scenario, map, experiment), or one clear InputError naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "file not found")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, None, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not a UTF-8 text file") from None


def read_spec(path: Path | str, schema, guide: str):
    """A user's TOML file read and checked against a pydantic `schema`, or one InputError."""
    try:
        return schema.model_validate(read_toml(path))
    except ValidationError as exc:
        raise from_validation(exc, path, guide) from None


def file_beside(path: Path, relative: str, field: str, what: str) -> Path:
    """A file named relative to the folder of `path` (its field `field`), which must exist."""
    target = (path.parent / relative).resolve()
    if not target.is_file():
        raise InputError(path, field, f"{what} file not found: {target}")
    return target
