"""The rules. Importing this package registers every rule on ``Rule.registry``."""

from __future__ import annotations

from functools import lru_cache

from . import values  # noqa: F401 - registers JS1xx
from .base import Rule, iter_rules

try:  # JS2xx live in their own module
    from . import machine  # noqa: F401
except ImportError:  # pragma: no cover - during development only
    pass


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """One instance of every rule, created once per process (rules hold no per-file state)."""
    return tuple(r() for r in iter_rules())


__all__ = ["Rule", "all_rules", "iter_rules"]
