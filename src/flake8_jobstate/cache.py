"""The CLI's persistent cache: a file's findings are reused while nothing they depend on has changed.

What a result depends on, and so what the cache checks before reusing it:

* the file's bytes (SHA-256);
* the tool: its version, a fingerprint of its own source files (an edited or reinstalled package invalidates
  everything), the Python version and the installed libcst;
* the effective configuration that reaches the engine (every field of ``Config``: ``extra-modules``,
  ``state-attributes``, ``terminal-states``, ``max-file-size``...);
* every other project file the analysis looked at (``reads.py``): sibling modules read for their constants
  (by content) and modules whose absence decided an import (by existence).

The entries hold the engine's findings before ``--select``/``--ignore`` and ``# noqa`` are applied (those are
applied again on every run, from the current text), so ``check`` with any selection and the cheap pass of
``fix`` share them. Read errors, parse errors and notebooks are never cached.

Layout: ``.flake8_jobstate_cache/`` (a ``.gitignore`` holding ``*`` and a ``CACHEDIR.TAG`` inside), one JSON
pack per tool fingerprint and configuration, mapping absolute paths to entries. A run loads the pack once,
and writes it back once at the end if it learned something: merged with what is on disk by then (a parallel
run's entries survive), through a temporary file and ``os.replace`` (readers never see half a file). A pack
that cannot be read or has the wrong shape, and any malformed entry, count as absent.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from . import __version__, reads
from .config import Config

DIR_NAME = ".flake8_jobstate_cache"
FORMAT = 1
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by flake8-jobstate.\n"

# one raw finding: (line, col, code, message as shown (with its fix marker), fix) with fix "safe" | "unsafe" | None
Raw = tuple[int, int, str, str, Optional[str]]


@dataclass(frozen=True)
class Entry:
    """What a worker learned about one file: its bytes' digest, the files it read, its raw findings."""

    digest: str
    deps: dict[str, str]
    findings: tuple[Raw, ...]


def default_dir(paths: Iterable[str], config_file: Optional[str]) -> str:
    """Project-local: next to the ``pyproject.toml`` in force, else in the nearest folder above the paths that
    holds a ``pyproject.toml``, ``.git`` or ``.hg``, else in the folder the paths have in common."""
    if config_file:
        return os.path.join(os.path.dirname(os.path.abspath(config_file)), DIR_NAME)
    real = [os.path.abspath(p) for p in paths if p != "-"] or [os.getcwd()]
    try:
        start = os.path.commonpath(real)
    except ValueError:
        start = os.getcwd()
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    cur = start
    while True:
        if any(os.path.exists(os.path.join(cur, m)) for m in ("pyproject.toml", ".git", ".hg")):
            return os.path.join(cur, DIR_NAME)
        parent = os.path.dirname(cur)
        if parent == cur:
            return os.path.join(start, DIR_NAME)
        cur = parent


def tool_fingerprint() -> str:
    """Version, Python, the package's own sources (size and mtime) and libcst's, without importing libcst."""
    import importlib.util

    parts = [__version__, "%d.%d" % sys.version_info[:2], str(FORMAT)]
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, os.path.join(here, "rules")):
        try:
            with os.scandir(folder) as it:
                for e in sorted(it, key=lambda e: e.name):
                    if e.name.endswith(".py"):
                        st = e.stat()
                        parts.append(f"{e.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:?")
    try:
        spec = importlib.util.find_spec("libcst")
        origin = spec.origin if spec is not None else None
        if origin:
            folder = os.path.dirname(origin)
            parts.append("libcst:" + ",".join(
                f"{n}:{os.stat(os.path.join(folder, n)).st_mtime_ns}" for n in ("__init__.py", "_version.py")
                if os.path.exists(os.path.join(folder, n))))
    except (ImportError, ValueError, OSError):
        parts.append("libcst:?")
    return reads.digest("\n".join(parts).encode())


def config_fingerprint(config: Config) -> str:
    """Every field of the engine's configuration (a field added later is covered without a change here)."""
    parts = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, Mapping):
            value = sorted(value.items())
        elif isinstance(value, (set, frozenset)):
            value = sorted(value)
        parts.append((f.name, value))
    return reads.digest(repr(parts).encode())


class Cache:
    """One run's view of the pack for (tool, configuration)."""

    def __init__(self, folder: str, config: Config) -> None:
        self.folder = folder
        self.pack = os.path.join(folder, f"v{__version__}-{reads.digest((tool_fingerprint() + config_fingerprint(config)).encode())[:20]}.json")
        self.entries = self._load()
        self.updates: dict[str, dict[str, Any]] = {}
        self._now: dict[tuple[str, bool], str] = {}  # (dependency, existence only) -> now, once per run

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.pack, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def lookup(self, path: str, data: bytes) -> Optional[list[Raw]]:
        """The raw findings stored for ``path`` if its bytes are ``data`` and its dependencies are unchanged."""
        entry = self.entries.get(os.path.abspath(path))
        try:
            if not isinstance(entry, dict) or entry.get("digest") != reads.digest(data):
                return None
            deps = entry["deps"]
            for dep, fingerprint in deps.items():
                key = (dep, fingerprint in (reads.ABSENT, reads.PRESENT))  # existence or content
                now = self._now.get(key)
                if now is None:
                    now = self._now[key] = reads.current(dep, fingerprint)
                if now != fingerprint:
                    return None
            return [_raw(f) for f in entry["findings"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def store(self, path: str, entry: Entry) -> None:
        self.updates[os.path.abspath(path)] = {
            "digest": entry.digest,
            "deps": dict(entry.deps),
            "findings": [list(f) for f in entry.findings],
        }

    def save(self) -> None:
        """Merge this run's entries into the pack on disk (atomically); failures are silent (a cache)."""
        if not self.updates:
            return
        try:
            _prepare(self.folder)
            merged = self._load()  # what parallel runs wrote meanwhile
            merged.update(self.updates)
            merged = {p: e for p, e in merged.items() if p in self.updates or os.path.exists(p)}
            fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"format": FORMAT, "version": __version__, "files": merged}, fh, separators=(",", ":"))
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the cache from the project's other users
                os.replace(tmp, self.pack)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass


def _raw(f: Any) -> Raw:
    line, col, code, message, fix = f
    if not (isinstance(line, int) and isinstance(col, int) and isinstance(code, str) and isinstance(message, str)
            and fix in (None, "safe", "unsafe")):
        raise ValueError("malformed finding")
    return (line, col, code, message, fix)


def _prepare(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    for name, text in ((".gitignore", "# Automatically created by flake8-jobstate.\n*\n"), ("CACHEDIR.TAG", _TAG)):
        target = os.path.join(folder, name)
        if not os.path.exists(target):
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)


def open_cache(paths: Iterable[str], config: Config, cache_dir: Optional[str], config_file: Optional[str]) -> Cache:
    return Cache(os.path.abspath(cache_dir) if cache_dir else default_dir(paths, config_file), config)
