"""Argument types shared by the subcommands: a bad flag is one clear argparse error (exit 2)."""

from __future__ import annotations

import argparse

MAX_SEED = 2**63


def whole_number(low: int, high: int | None = None, what: str = "a number"):
    """An argparse type accepting integers in [low, high)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if v < low or (high is not None and v >= high):
            bound = f"at least {low}" if high is None else f"{low} <= n < {high}"
            raise argparse.ArgumentTypeError(f"expected {what} {bound}, got {v}")
        return v

    return parse


def share(text: str) -> float:
    """An argparse type accepting a fraction in (0, 1]."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {v}")
    return v


positive = whole_number(1, what="a number")
seed = whole_number(0, MAX_SEED, what="a seed")


def add_backend(parser) -> None:
    """--workers and --scheduler: where the runs of a sweep or calibration go (the same engine)."""
    parser.add_argument("--workers", type=whole_number(0, what="workers (0 = in-process)"), metavar="N",
                        help="local Dask worker processes (default: this machine's cores); 0 runs in-process")
    parser.add_argument("--scheduler", metavar="ADDRESS_OR_FILE",
                        help="connect to a running Dask scheduler (tcp://host:8786 or a scheduler file)")


def check_backend(args) -> None:
    """One clear error for --workers with --scheduler, or an empty --scheduler."""
    from model.errors import InputError

    if args.workers is not None and args.scheduler:
        raise InputError(None, "--workers", "cannot be combined with --scheduler (the scheduler's workers run it)")
    if args.scheduler is not None and not args.scheduler.strip():
        raise InputError(None, "--scheduler", "is empty")
