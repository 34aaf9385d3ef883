"""Where results go and how they are written: the one place that may create or replace them.

Every command that writes results uses these functions, so the same rules hold everywhere:
- a file or folder appears whole or not at all (built under a hidden temporary name next to
  the target, flushed to disk, then renamed into place);
- files and folders get the user's umask (like `cp` or `touch`), not private 0600/0700;
- an existing folder is replaced only if it is empty or our own result of the same kind
  (its manifest.json says so); anything else is refused before any work starts;
- temporaries are named `.NAME.corridor-tmp-<host>-<pid>-<random>`: a handled error removes
  its own, and the next write to the same place removes those whose process has died;
- default output paths are built here and always stay inside results/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from model.errors import InputError

TOOL = "corridor"
RESULTS = Path("results")
MANIFEST = "manifest.json"
TMP_TAG = ".corridor-tmp-"
_TMP_RE = re.compile(r"^\.(?P<name>.*)\.corridor-tmp-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[0-9a-f]+$")
# Files `corridor compare` wrote before its folders had a manifest.
_LEGACY_COMPARE = {"runs.parquet", "compare.parquet", "compare.csv"}


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def temp_name(target: Path) -> Path:
    """A fresh hidden name next to `target`, recognisable as ours and as this process's."""
    stem = target.name[:160]     # keep the temporary within the file-name limit
    return target.with_name(f".{stem}{TMP_TAG}{_host()}-{os.getpid()}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's live process
        return True
    return True


def remove_stale(target: Path) -> None:
    """Remove temporaries next to `target` left by a process of ours that died on this host."""
    target = Path(target)
    _remove_stale(target.parent, target.name[:160])


def remove_stale_in(folder: Path) -> None:
    """Remove every temporary in `folder` left by a process of ours that died on this host."""
    _remove_stale(Path(folder), None)


def _remove_stale(folder: Path, stem: str | None) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        m = _TMP_RE.match(e.name)
        if not m or (stem is not None and m["name"] != stem) or m["host"] != _host() or _alive(int(m["pid"])):
            continue
        p = Path(e.path)
        if e.is_dir(follow_symlinks=False):
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _as_write_error(exc: OSError, target: Path) -> OSError:
    """The same error, naming the file the user asked for rather than our temporary."""
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))   # pyarrow's are long
    return OSError(exc.errno, reason, str(target))


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes | str | Callable[[Path], None], tidy: bool = True) -> Path:
    """Write one file atomically: `data` (bytes/str), or `data(tmp_path)` writes it.

    The temporary is created with mode 0o666 so the kernel applies the user's umask, and
    it is fsync'ed before the rename. `tidy=False` skips the stale-temporary scan (for
    folders with many files that the caller tidies once).
    """
    path = Path(path)
    if tidy:
        remove_stale(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if callable(data):
            os.close(fd)
            data(tmp)
            _fsync_path(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode() if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _as_write_error(exc, path) from exc
        raise
    return path


def write_json(path: Path, obj, default=None, tidy: bool = True) -> Path:
    return write_file(path, json.dumps(obj, indent=2, default=default) + "\n", tidy=tidy)


def mark(manifest: dict, kind: str) -> dict:
    """`manifest` with the tool and the kind of result first, so a later command knows it is ours."""
    return {"tool": TOOL, "kind": kind, **{k: v for k, v in manifest.items() if k not in ("tool", "kind")}}


def folder_kind(folder: Path) -> str | None:
    """'run', 'sweep', 'compare', 'plot', ... if `folder` is a result folder of ours, else None."""
    folder = Path(folder)
    try:
        m = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        m = None
    if isinstance(m, dict):
        if m.get("tool") == TOOL and isinstance(m.get("kind"), str):
            return m["kind"]
        if "tool" in m or "kind" in m:
            return None
        # folders of versions before the manifest said what it was
        if {"scenario_sha256", "seed", "steps"} <= m.keys() and (folder / "summary.json").is_file():
            return "run"
        if {"experiment_sha256", "sessions"} <= m.keys():
            return "sweep"
        return None
    try:
        names = set(os.listdir(folder))
    except OSError:
        return None
    if names and names <= _LEGACY_COMPARE:
        return "compare"
    return None


def _is_cwd_or_above(folder: Path) -> bool:
    here = Path.cwd().resolve()
    there = folder.resolve()
    return there == here or there in here.parents


def check_target(folder: Path, kind: str, flag: str = "--out", also: tuple[str, ...] = ()) -> None:
    """Refuse (InputError, nothing changed) unless `folder` is new, empty, or our `kind` result.

    `also` lists further kinds that may be written into (plot into a run folder).
    """
    folder = Path(folder)
    if folder.is_symlink() and not folder.exists():
        raise InputError(folder, flag, "is a broken link; give a folder")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise InputError(folder, flag, "is a file, and a folder is expected here; nothing was changed")
    if _is_cwd_or_above(folder):
        raise InputError(folder, flag, "is the current folder (or holds it); give a new folder; "
                         "nothing was changed")
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise InputError(folder, flag, f"cannot be read ({exc.strerror}); nothing was changed") from None
    if not names:
        return
    found = folder_kind(folder)
    if found == kind or found in also:
        return
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    what = (f"is a Corridor {found} result, not a {kind} result" if found else
            f"is not a {kind} result folder of Corridor (it holds {shown})")
    raise InputError(folder, flag, f"{what}; nothing was changed. Give a new or empty folder")


@contextmanager
def replace_folder(target: Path, kind: str, flag: str = "--out") -> Iterator[Path]:
    """Yield an empty hidden folder; on success it replaces `target` in one rename.

    `target` is checked first (see check_target). On any error the temporary is removed and
    `target` is left as it was; an OSError names `target`.
    """
    check_target(target, kind, flag)
    shown, target = target, Path(os.path.abspath(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _as_write_error(exc, shown) from exc
    remove_stale(target)
    tmp = temp_name(target)
    try:
        tmp.mkdir(0o777)          # the kernel applies the umask
        yield tmp
        for f in tmp.rglob("*"):    # on disk before the rename makes them visible
            if f.is_file():
                _fsync_path(f)
        _swap(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _as_write_error(exc, shown) from exc
        raise


def _swap(tmp: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        tmp.rename(target)
        return
    old = temp_name(target)
    target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


@contextmanager
def scratch_folder(near: Path) -> Iterator[Path]:
    """A hidden working folder next to `near`, removed afterwards (and after a crash, next time)."""
    near = Path(os.path.abspath(near))
    near.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(near)
    tmp = temp_name(near)
    tmp.mkdir(0o777)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_own_file(path: Path, marker: bytes, flag: str = "--out") -> None:
    """Refuse to overwrite an existing file unless its first or last 64 KiB contain our `marker`."""
    path = Path(path)
    if not path.exists():
        return
    if path.is_dir():
        raise InputError(path, flag, "is a folder; give a file name; nothing was changed")
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
            fh.seek(max(fh.seek(0, os.SEEK_END) - 65536, 0))
            head += fh.read()
    except OSError as exc:
        raise InputError(path, flag, f"exists and cannot be read ({exc.strerror}); nothing was changed") from None
    if marker not in head:
        raise InputError(path, flag, "exists and was not written by Corridor; nothing was changed. "
                         "Give a new file name")


def default_out(*parts: str) -> Path:
    """results/<parts...>: every part one plain name, and the path provably inside results/."""
    for p in parts:
        if not p or p in (".", "..") or "/" in p or "\\" in p or "\0" in p:
            raise InputError(None, None, f"'{p}' cannot name a result folder; use letters, digits, '-' and '_'")
    path = RESULTS.joinpath(*parts)
    base = RESULTS.resolve()
    if base not in path.resolve().parents:
        raise InputError(None, None, f"default output {path} would fall outside {RESULTS}/")
    return path
