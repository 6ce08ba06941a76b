"""The prefilter: can this text hold a finding at all? Substring and regex tests, no parse.

This module is the only part of the analysis that the flake8 plugin and the CLI import up front. It must
stay light: the standard library's ``re`` and the enum facts (``model``, ``config``), never libcst, the
resolver or the rules, which are imported only once a file passes (see ``tests/test_lazy_imports.py``).
"""

from __future__ import annotations

import re
from typing import Optional

from . import model, reads
from .config import DEFAULT, Config
from .paths import FINDER


_STATE_WORD = re.compile(r"state\b|_STATES\b")


def _import_regex() -> "re.Pattern[str]":
    mods = "|".join(re.escape(m) + (r"\w*" if m.endswith("aiplatform") else "") for m in model.VERTEX_PACKAGES)
    froms = "|".join(
        rf"from[ \t]+{re.escape(pkg)}[ \t]+import[ \t]+(?:\([^)]*|[^\n]*)\b{re.escape(name)}"
        for pkg, name in model.VERTEX_PACKAGES_FROM
    )
    # a line starts after "\n" or after a lone "\r" (Python's line ends; "(?m)^" knows only "\n")
    return re.compile(rf"(?m)(?:^|(?<=\r))[ \t\f]*(?:(?:from|import)[ \t]+(?:{mods})\b|{froms})")


_VERTEX_IMPORT = _import_regex()


def prefilter(source: str, config: Config = DEFAULT, path: Optional[str] = None) -> bool:
    """True when the text could hold a finding (substring and regex tests, no parse).

    A finding needs a value the resolver can tie to a Vertex/genai enum, and every such value is reached
    from an import of a Vertex/genai package (enum classes, SDK resources, clients, messages, SDK sets) or
    from a name the user configured. So: a package word, an import of such a package (module level or
    inside a function), and a class word or a ``state`` word; or a configured name.
    A file without a Vertex import of its own passes when it imports (one level deep) a module of its own
    source tree that does (``path`` locates the tree; see :func:`_imports_vertex_through_project`).
    """
    if config.extra_modules or config.state_attributes:
        words = [m.rsplit(".", 1)[-1] for m in config.extra_modules] + list(config.state_attributes)
        if any(w in source for w in words):
            return True
    if any(w in source for w in model.PREFILTER_PACKAGE_WORDS):
        if not (any(w in source for w in model.PREFILTER_CLASS_WORDS) or _STATE_WORD.search(source)):
            return False
        if _VERTEX_IMPORT.search(source) is not None:
            return True
    return path is not None and _imports_vertex_through_project(source, path)


# what a file needs to spell for a state reached through a project module to meet a rule (substrings: cheap)
_STATE_USE = (".state", "STATE", ".job_state")  # ``STATE``: ``_STATES``, ``JOB_STATE_``, ``PIPELINE_STATE_``
# one scan over "\n" + source: a literal first character is what makes Python's ``re`` fast here
_IMPORT_LINE = re.compile(r"\n[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)|import[ \t]+([\w.]+))")
_VERTEX_MODULES: dict[str, tuple[int, int, bool, str]] = {}  # path -> (mtime, size, imports Vertex, digest or "")


def _imports_vertex_through_project(source: str, path: str) -> bool:
    """Whether the file imports a module of its own source tree that imports a Vertex/genai package.

    Such a file can hold a finding through that module's summaries (a helper that returns a job, a base class
    whose methods return one). One level deep, from the import block (up to the first top-level ``def`` or
    ``class``); regexes on the texts, no parse; each module's text is checked once per process and content,
    and reported to ``reads`` (the answer depends on it).
    """
    if path.startswith("<") or not any(w in source for w in _STATE_USE):
        return False
    ends = [i for i in (source.find("\ndef "), source.find("\nclass "), source.find("\nasync def ")) if i >= 0]
    head = source[: min(ends)] if ends else source
    candidates: list[tuple[int, list[str]]] = []
    for m in _IMPORT_LINE.finditer("\n" + head):
        if m.group(4) is not None:
            candidates.append((0, m.group(4).split(".")))
            continue
        level, module = len(m.group(1)), [p for p in m.group(2).split(".") if p]
        candidates.append((level, module))
        if level:  # ``from . import helpers``: the names may be modules
            for name in re.findall(r"\w+", m.group(3)):
                if name != "as":
                    candidates.append((level, module + [name]))
    seen: set[str] = set()
    for level, parts in candidates:
        found = FINDER.find(path, level, parts or ["__init__"]) if (parts or level) else None
        if found is not None and found not in seen:
            seen.add(found)
            if _module_imports_vertex(found):
                return True
    return False


def _module_imports_vertex(path: str) -> bool:
    import os

    try:
        st = os.stat(path)
    except OSError:
        reads.note(path, None)
        return False
    known = _VERTEX_MODULES.get(path)
    if known is not None and known[:2] == (st.st_mtime_ns, st.st_size) and (known[3] or not reads.recording_active()):
        if known[3]:
            reads.note_digest(path, known[3])
        return known[2]
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        reads.note(path, None)
        return False
    fingerprint = reads.digest(raw) if reads.recording_active() else ""
    if fingerprint:
        reads.note_digest(path, fingerprint)
    text = raw.decode("utf-8", errors="replace")
    hit = any(w in text for w in model.PREFILTER_PACKAGE_WORDS) and _VERTEX_IMPORT.search(text) is not None
    _VERTEX_MODULES[path] = (st.st_mtime_ns, st.st_size, hit, fingerprint)
    return hit
