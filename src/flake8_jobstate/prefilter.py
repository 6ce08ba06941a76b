"""The prefilter: can this text hold a finding at all? Substring and regex tests, no parse.

This module is the only part of the analysis that the flake8 plugin and the CLI import up front. It must
stay light: the standard library's ``re`` and the enum facts (``model``, ``config``), never libcst, the
resolver or the rules, which are imported only once a file passes (see ``tests/test_lazy_imports.py``).
"""

from __future__ import annotations

import re

from . import model
from .config import DEFAULT, Config


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


def prefilter(source: str, config: Config = DEFAULT) -> bool:
    """True when the text could hold a finding (substring and regex tests, no parse).

    A finding needs a value the resolver can tie to a Vertex/genai enum, and every such value is reached
    from an import of a Vertex/genai package (enum classes, SDK resources, clients, messages, SDK sets) or
    from a name the user configured. So: a package word, an import of such a package (module level or
    inside a function), and a class word or a ``state`` word; or a configured name.
    Known limit: a file whose only link to Vertex is a state set imported from a sibling module of the
    project (no Vertex import of its own) is not analysed.
    """
    if config.extra_modules or config.state_attributes:
        words = [m.rsplit(".", 1)[-1] for m in config.extra_modules] + list(config.state_attributes)
        if any(w in source for w in words):
            return True
    if not any(w in source for w in model.PREFILTER_PACKAGE_WORDS):
        return False
    if not (any(w in source for w in model.PREFILTER_CLASS_WORDS) or _STATE_WORD.search(source)):
        return False
    return _VERTEX_IMPORT.search(source) is not None
