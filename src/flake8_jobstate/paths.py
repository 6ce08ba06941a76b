"""Where the modules of the analysed file's own source tree are (``os.path`` only, no parse).

Shared by the prefilter (light: it runs before anything heavy is imported) and by ``project.py``. An import
is looked up next to the file and, for absolute imports, at the top of its package (the first folder up
without an ``__init__.py``); the SDK packages are never looked up: what they hold is a fact of the model.
Every existence test that decides an answer is reported to ``reads`` (a cache keys on it).
"""

from __future__ import annotations

import os
from typing import Optional

from . import reads

SDK_PACKAGES = frozenset({"google", "vertexai", "agentplatform"})


class ModuleFinder:
    """Finds project modules (the package roots are cached per process; module files are looked up each time)."""

    def __init__(self) -> None:
        self._roots: dict[str, tuple[str, ...]] = {}
        self._probes: dict[str, list[str]] = {}  # the __init__.py files a root search looked at

    def clear(self) -> None:
        self._roots.clear()
        self._probes.clear()

    def find(self, from_path: str, level: int, parts: list[str]) -> Optional[str]:
        """The file of module ``parts`` imported (at ``level``) from the file ``from_path`` (``["__init__"]``
        with a level: the package itself), or None (not in the tree, the SDK, or the file itself)."""
        if not parts or any(not p.isidentifier() for p in parts) or (level == 0 and parts == ["__init__"]):
            return None
        if level == 0 and parts[0] in SDK_PACKAGES:
            return None
        here = os.path.dirname(os.path.abspath(from_path))
        missing: list[str] = []
        found = None
        for base in self._bases(here, level):
            for candidate in (os.path.join(base, *parts) + ".py", os.path.join(base, *parts, "__init__.py")):
                if os.path.isfile(candidate):  # never cached: a module may appear between two runs
                    found = candidate
                    break
                missing.append(candidate)
            if found is not None:
                break
        if reads.recording_active():
            self._note_root(here, level)
            for candidate in missing:
                reads.note_exists(candidate, False)  # creating it would change the answer
        if found is not None and os.path.abspath(found) == os.path.abspath(from_path):
            return None
        return found

    def _bases(self, here: str, level: int) -> tuple[str, ...]:
        if level > 0:
            base = here
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return (base,)
        if here not in self._roots:
            top = here
            probes = []
            while os.path.isfile(os.path.join(top, "__init__.py")) and os.path.dirname(top) != top:
                probes.append(os.path.join(top, "__init__.py"))
                top = os.path.dirname(top)
            self._probes[here] = probes + [os.path.join(top, "__init__.py")]
            self._roots[here] = (here,) if top == here else (here, top)
        return self._roots[here]

    def _note_root(self, here: str, level: int) -> None:
        if level == 0 and here in self._probes:
            *found, last = self._probes[here]
            for probe in found:
                reads.note_exists(probe, True)
            reads.note_exists(last, False)


FINDER = ModuleFinder()
