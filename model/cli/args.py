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
