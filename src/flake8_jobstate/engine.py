"""The engine: prefilter, one libcst parse, one resolution, every rule, positions only where needed.

Cost model (measured, see benchmarks/): libcst's whole-tree metadata (positions, scopes, qualified names)
costs several times the parse itself, so the engine never computes it for a file without findings. The
resolver is our own single walk; positions are computed with ``PositionProvider`` only when a rule has
reported something, on the very same tree (``unsafe_skip_copy``), so node identities hold.
"""

from __future__ import annotations

import ast
import logging
import re
import sys
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


_RECURSION_LIMIT = 20_000  # deep expressions (long ``or`` chains) recurse through libcst's and our visitors


def analyze_module(module: cst.Module, config: Config = DEFAULT, path: str = "<stdin>",
                   rules: Optional[Iterable[Rule]] = None) -> list[Finding]:
    old_limit = sys.getrecursionlimit()
    if old_limit < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        return _analyze_module(module, config, path, rules)
    finally:
        if old_limit < _RECURSION_LIMIT:
            sys.setrecursionlimit(old_limit)


def _analyze_module(module: cst.Module, config: Config, path: str, rules: Optional[Iterable[Rule]]) -> list[Finding]:
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


def analyze_source(
    source: str, config: Config = DEFAULT, path: str = "<stdin>", tree: Optional[ast.AST] = None
) -> list[Finding]:
    """Findings for one file's text; raises ParseError when libcst cannot parse it.

    ``tree`` is the file's ``ast`` when the caller already has it (flake8 does); it is used to leave out
    the functions that cannot hold a finding before the (more costly) libcst parse.
    """
    if not prefilter(source, config):
        return []
    return analyze_module(parse(prune(source, config, tree)), config, path)


_RELEVANT = re.compile(r"(?i)state")
_RETURNS_OBJECT = re.compile(r"Job|Pipeline|Client|State")
_ATTR_ASSIGN = re.compile(r"\b(?:self|cls)\.(\w+)\s*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=(?!=)")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def prune(source: str, config: Config = DEFAULT, tree: Optional[ast.AST] = None) -> str:
    """The source with the functions and methods that cannot hold a finding blanked out, line for line.

    Every finding involves a state, so its code spells ``state`` in some case (``.state``, ``JobState``,
    ``_JOB_COMPLETE_STATES``, ``state=``), a configured name, or a module/class-level name bound by a statement
    that does. Functions whose return annotation names a job, pipeline, client or state are kept too (their
    callers resolve through them). A module-level function or a method whose code
    (its docstring aside) spells none of these is replaced by a one-line stub ``def name(*a, **k): pass`` (so
    the name stays bound, and nothing unknown becomes known) followed by blank lines, so every kept line keeps
    its number and columns. A method that assigns ``self.x``/``cls.x`` is kept when kept code reads ``.x``
    (class attributes must see every assignment). Without a usable ``ast`` (syntax error), the source is returned unchanged.
    """
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return source
    body = getattr(tree, "body", None)
    if not body:
        return source
    lines = _LINES.findall(source)
    extra = [w for w in list(config.state_attributes) + [m.rsplit(".", 1)[-1] for m in config.extra_modules] if w]
    spans: list[tuple[int, int, str]] = []

    def relevant(fn: ast.AST, start: int) -> bool:
        end = getattr(fn, "end_lineno", None) or start
        first = start
        fbody = getattr(fn, "body", [])
        if fbody and isinstance(fbody[0], ast.Expr) and isinstance(getattr(fbody[0], "value", None), ast.Constant) \
                and isinstance(fbody[0].value.value, str):
            head = "".join(lines[start - 1 : fbody[0].lineno - 1])
            if _RELEVANT.search(head) or any(w in head for w in extra):
                return True
            first = (fbody[0].end_lineno or fbody[0].lineno) + 1
        text = "".join(lines[first - 1 : end])
        if _RELEVANT.search(text) or any(w in text for w in extra):
            kept_texts.append(text)
            return True
        attrs = _ATTR_ASSIGN.findall(text)
        if attrs:
            with_attrs.append((attrs, start, end, getattr(fn, "name", "")))
            return True  # decided below, once every relevant text is known
        returns = getattr(fn, "returns", None)
        if returns is not None and returns.end_lineno is not None and fbody and fbody[0].lineno > returns.end_lineno:
            # ``-> CustomJob`` / ``-> JobServiceClient``: callers resolve through the annotation, so keep the
            # signature and stub the body
            ann = "".join(lines[returns.lineno - 1 : returns.end_lineno])
            if _RETURNS_OBJECT.search(ann):
                bodies.append((fbody[0].lineno, end))
                return True
        return False

    def consider(stmts: list, in_class: bool) -> None:
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in st.decorator_list] + [st.lineno])
                if not relevant(st, start) and st.end_lineno:
                    spans.append((start, st.end_lineno, st.name))
            elif isinstance(st, ast.ClassDef):
                consider(st.body, True)

    # names bound at module or class level by a statement that involves a state count as state words
    for st in body:
        for node in [st] + (list(st.body) if isinstance(st, ast.ClassDef) else []):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.end_lineno:
                text = "".join(lines[node.lineno - 1 : node.end_lineno])
                if _RELEVANT.search(text):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    extra.extend(t.id for t in targets if isinstance(t, ast.Name))
    kept_texts: list[str] = []
    with_attrs: list[tuple[list[str], int, int, str]] = []
    bodies: list[tuple[int, int]] = []
    consider(body, False)
    # a method that only assigns ``self.x`` matters when some kept code reads that ``x``
    kept = "".join(kept_texts)
    for attrs, start, end, name in with_attrs:
        if not any(re.search(rf"\.{re.escape(a)}\b", kept) for a in attrs):
            spans.append((start, end, name))
    spans.sort()
    if not spans and not bodies:
        return source
    for start, end in bodies:
        first = lines[start - 1]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        eol = first[len(first.rstrip("\r\n")) :] or "\n"
        lines[start - 1] = f"{indent}pass{eol}"
        for i in range(start, end):
            ln = lines[i]
            lines[i] = ln[len(ln.rstrip("\r\n")) :]
    for start, end, name in spans:
        if end > len(lines):
            return source
        first = lines[start - 1]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        eol = first[len(first.rstrip("\r\n")) :] or "\n"
        lines[start - 1] = f"{indent}def {name}(*a, **k): pass{eol}"
        for i in range(start, end):
            ln = lines[i]
            lines[i] = ln[len(ln.rstrip("\r\n")) :]
    return "".join(lines)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
