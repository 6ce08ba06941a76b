"""The engine: prefilter, one libcst parse, one resolution, every rule, positions only where needed.

Cost model (measured, see benchmarks/): libcst's whole-tree metadata (positions, scopes, qualified names)
costs several times the parse itself, so the engine never computes it for a file without findings. The
resolver is our own single walk; positions are computed with ``PositionProvider`` only when a rule has
reported something, on the very same tree (``unsafe_skip_copy``), so node identities hold.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import model
from .config import DEFAULT, Config
from .resolver import Resolver
from .rules import all_rules
from .rules.base import Finding, Rule

LOG = logging.getLogger("flake8.jobstate")


class ParseError(Exception):
    """libcst could not parse the source."""


@dataclass
class Context:
    """What a rule sees: the tree, the resolver's answers, the configuration and the file's path."""

    module: cst.Module
    resolver: Resolver
    config: Config
    path: str

    def sites(self, node_type: type) -> list:
        return self.resolver.sites.get(node_type, [])

    def state_of(self, node: cst.CSTNode):  # noqa: ANN201 - resolver.Value
        return self.resolver.state_of(node)

    def resolve(self, node: cst.CSTNode):  # noqa: ANN201
        return self.resolver.resolve(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def member_expr(
        self, cls: model.EnumClass, member: str, at: cst.CSTNode
    ) -> tuple[Optional[str], tuple[tuple[str, str, Optional[str]], ...]]:
        """Code for ``cls.member`` spelled through an import visible at ``at``, else with a new import."""
        spelled = self.resolver.spelling(cls, at)
        if spelled is not None:
            return f"{spelled}.{member}", ()
        module = f"google.cloud.aiplatform_{cls.version}" if cls.version else None
        if module is None:
            return None, ()
        for alias in (cls.name, f"Vertex{cls.name}" if cls.version == "v1" else f"{cls.name}V1beta1"):
            if self.resolver.module_scope.lookup(alias) is None and alias not in self.resolver.module_scope.env:
                asname = None if alias == cls.name else alias
                return f"{alias}.{member}", ((module, cls.name, asname),)
        return None, ()


_STATE_WORD = re.compile(r"state\b|_STATES\b")


def _import_regex() -> "re.Pattern[str]":
    mods = "|".join(re.escape(m) + (r"\w*" if m.endswith("aiplatform") else "") for m in model.VERTEX_PACKAGES)
    froms = "|".join(
        rf"from[ \t]+{re.escape(pkg)}[ \t]+import[ \t]+(?:\([^)]*|[^\n]*)\b{re.escape(name)}"
        for pkg, name in model.VERTEX_PACKAGES_FROM
    )
    return re.compile(rf"(?m)^[ \t]*(?:(?:from|import)[ \t]+(?:{mods})\b|{froms})")


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


def analyze_module(module: cst.Module, config: Config = DEFAULT, path: str = "<stdin>",
                   rules: Optional[Iterable[Rule]] = None) -> list[Finding]:
    resolver = Resolver(module, config).run()
    ctx = Context(module, resolver, config, path)
    findings: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    for rule in rules if rules is not None else all_rules():
        for f in rule.check(ctx):
            key = (f.code, id(f.node), f.message)
            if key not in seen:
                seen.add(key)
                findings.append(f)
    if findings:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for f in findings:
            pos = positions.get(f.node)
            if pos is not None:
                f.line, f.col = pos.start.line, pos.start.column
    findings.sort(key=lambda f: (f.line, f.col, f.code))
    return findings


def parse(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError) as e:
        raise ParseError(_one_line(e)) from e


def analyze_source(source: str, config: Config = DEFAULT, path: str = "<stdin>") -> list[Finding]:
    """Findings for one file's text; raises ParseError when libcst cannot parse it."""
    if not prefilter(source, config):
        return []
    return analyze_module(parse(source), config, path)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
