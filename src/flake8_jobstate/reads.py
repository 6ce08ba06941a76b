"""Which other files of the project an analysis looked at, so that a cached result can be invalidated.

A file's findings can depend on more than its own text: ``project.py`` reads sibling modules for their
constants, and whether a module exists decides how an import resolves. Every such read is reported here with
:func:`note` (content read) or :func:`note_exists` (only existence looked at); the CLI wraps one file's
analysis in :func:`recording` and stores what was noted next to the findings (``cache.py``). Outside a
recording every call is a no-op, so the flake8 plugin pays nothing.

This module imports only the standard library: it sits below everything that reads files.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Optional

ABSENT = "absent"  # the file did not exist (or could not be read)
PRESENT = "present"  # the file existed; its content was not looked at

_active: list[dict[str, str]] = []


def digest(data: bytes) -> str:
    """The content fingerprint used everywhere in the cache."""
    import hashlib  # not at module level: loading OpenSSL costs the flake8 plugin ~3.5 MiB it never needs

    return hashlib.sha256(data).hexdigest()


def recording_active() -> bool:
    return bool(_active)


def note(path: str, data: Optional[bytes]) -> None:
    """``path`` was read and held ``data`` (None: it did not exist or could not be read)."""
    if _active:
        _put(path, ABSENT if data is None else digest(data))


def note_digest(path: str, fingerprint: str) -> None:
    """Like :func:`note` for a content read earlier whose :func:`digest` (or ABSENT) was kept."""
    if _active:
        _put(path, fingerprint)


def note_exists(path: str, exists: bool) -> None:
    """Only the existence of ``path`` was looked at."""
    if _active:
        _put(path, PRESENT if exists else ABSENT)


def _put(path: str, value: str) -> None:
    key = os.path.abspath(path)
    for seen in _active:
        if seen.get(key) not in (None, PRESENT) and value == PRESENT:
            continue  # a content fingerprint says more than existence
        seen[key] = value


def current(path: str, kind: str) -> str:
    """What :func:`note` / :func:`note_exists` would record for ``path`` now (``kind``: a noted value)."""
    if kind in (ABSENT, PRESENT):
        return PRESENT if os.path.exists(path) else ABSENT
    try:
        with open(path, "rb") as fh:
            return digest(fh.read())
    except OSError:
        return ABSENT


@contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Collect ``{absolute path: digest | ABSENT | PRESENT}`` of everything noted inside the block."""
    seen: dict[str, str] = {}
    _active.append(seen)
    try:
        yield seen
    finally:
        _active.remove(seen)
