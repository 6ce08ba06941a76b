"""The engine: prefilter, one libcst parse, one resolution, every rule, positions only where needed.

Cost model (measured, see benchmarks/): libcst's whole-tree metadata (positions, scopes, qualified names)
costs several times the parse itself, so the engine never computes it for a file without findings. The
resolver is our own single walk; positions are computed with ``PositionProvider`` only when a rule has
reported something, on the very same tree (``unsafe_skip_copy``), so node identities hold.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import re
import sys
from typing import Iterable, Iterator, Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import model
from .config import DEFAULT, Config
from .context import Context
from .errors import ParseError, Skipped  # noqa: F401 - Skipped re-exported
from .guard import MAX_DEPTH, check_size, guard, nesting_depth, python_tree  # noqa: F401 - re-exported
from .prefilter import prefilter
from .project import ProjectView, stub_lines
from .resolver import Resolver, iter_children
from .rules import all_rules
from .rules.base import Finding, Rule
from .text import normalised, split_lines

LOG = logging.getLogger("flake8.jobstate")


_RECURSION_LIMIT = 20_000  # deep expressions (long ``or`` chains) recurse through libcst's and our visitors


def analyze_module(module: cst.Module, config: Config = DEFAULT, path: str = "<stdin>",
                   rules: Optional[Iterable[Rule]] = None, tree: Optional[ast.AST] = None) -> list[Finding]:
    """Findings for a parsed module. ``tree``, the ``ast`` of the same text (or of the text before pruning),
    lets positions be computed for the top-level statements that hold findings only."""
    with deep_recursion():
        return _analyze_module(module, config, path, rules, tree)


@contextlib.contextmanager
def deep_recursion() -> Iterator[None]:
    """Python's recursion limit raised for walking libcst trees as deep as :data:`MAX_DEPTH` allows."""
    old_limit = sys.getrecursionlimit()
    if old_limit < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        yield
    finally:
        if old_limit < _RECURSION_LIMIT:
            sys.setrecursionlimit(old_limit)


def _analyze_module(module: cst.Module, config: Config, path: str, rules: Optional[Iterable[Rule]],
                    tree: Optional[ast.AST] = None) -> list[Finding]:
    resolver = Resolver(module, config, ProjectView(path, config)).run()
    ctx = Context(module, resolver, config, path)
    findings: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    for rule in rules if rules is not None else all_rules():
        for f in rule.check(ctx):
            key = (f.code, id(f.node), f.message)
            if key not in seen:
                seen.add(key)
                findings.append(f)
    if findings and not _locate(module, findings, tree):
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for f in findings:
            pos = positions.get(f.node)
            if pos is not None:
                f.line, f.col = pos.start.line, pos.start.column
    findings.sort(key=lambda f: (f.line, f.col, f.code))
    return findings


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While, ast.Try, ast.With,
             ast.AsyncFor, ast.AsyncWith)


def _first_lines(stmts: Sequence[cst.BaseStatement], body: Optional[list]) -> Optional[list[tuple[int, Optional[ast.stmt]]]]:
    """For each libcst statement of a block, its first line read off the ``ast`` of the same block, and the
    ``ast`` node of a compound statement (None when the two disagree)."""
    if body is None:
        return None
    out: list[tuple[int, Optional[ast.stmt]]] = []
    j = 0
    for stmt in stmts:
        if j >= len(body):
            return None
        if isinstance(stmt, cst.SimpleStatementLine):
            if isinstance(body[j], _COMPOUND):
                return None
            out.append((body[j].lineno, None))
            j += len(stmt.body)
        else:
            a = body[j]
            if isinstance(stmt, cst.FunctionDef) != isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
                    isinstance(stmt, cst.ClassDef) != isinstance(a, ast.ClassDef):
                return None
            out.append((min([d.lineno for d in getattr(a, "decorator_list", [])] + [a.lineno]), a))
            j += 1
    return out if j == len(body) else None


def _narrow(stmt: cst.BaseStatement, node: Optional[ast.stmt], ids: set[int]):  # noqa: ANN202
    """When every node of ``ids`` lies in one statement of the class or function ``stmt``'s body (and the body
    lines up with the ``ast`` ``node``): (that statement, its first line, its ``ast`` node, a function putting
    a statement back into ``stmt`` as its only child). Else None."""
    if not isinstance(stmt, (cst.ClassDef, cst.FunctionDef)) or not isinstance(stmt.body, cst.IndentedBlock) or \
            not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    lines = _first_lines(stmt.body.body, node.body)
    if lines is None:
        return None
    for k, child in enumerate(stmt.body.body):
        inside = _ids_within(child, ids)
        if inside:
            if len(inside) != len(ids):
                return None  # spread over several statements
            block = stmt.body
            return child, lines[k][0], lines[k][1], lambda s: stmt.with_changes(body=block.with_changes(body=[s]))
    return None


def _locate(module: cst.Module, findings: list[Finding], tree: Optional[ast.AST]) -> bool:
    """Positions from libcst's PositionProvider run over only the statements holding findings.

    The whole-module provider costs a codegen of every node; a file with one finding in a 4,000-line module
    pays for one statement instead: the top-level statement holding the findings or, when they all lie in one
    method of a class (one statement of a function...), that innermost statement, rendered inside its
    enclosing class and function headers only (so its indentation, and every column, is the original). Line
    offsets come from the ``ast``. False (and nothing set) when anything does not line up.
    """
    if not isinstance(tree, ast.Module):
        return False
    top = _first_lines(module.body, tree.body)
    if top is None:
        return False
    wanted: dict[int, list[Finding]] = {}
    for f in findings:
        wanted.setdefault(id(f.node), []).append(f)
    groups: dict[int, list[Finding]] = {}
    remaining = set(wanted)
    for i, stmt in enumerate(module.body):
        if not remaining:
            break
        for node_id in _ids_within(stmt, remaining):
            groups.setdefault(i, []).extend(wanted[node_id])
            remaining.discard(node_id)
    if remaining:
        return False
    for i, group in groups.items():
        stmt = module.body[i]
        first, node = top[i]
        wraps: list = []
        ids = {id(f.node) for f in group}
        narrowed = _narrow(stmt, node, ids)
        while narrowed is not None:
            child, first, node, wrap = narrowed
            wraps.append(wrap)
            stmt = child
            narrowed = _narrow(stmt, node, ids)
        outer = stmt
        for wrap in reversed(wraps):
            outer = wrap(outer)
        sub = module.with_changes(body=[outer], header=(), footer=())
        positions = MetadataWrapper(sub, unsafe_skip_copy=True).resolve(PositionProvider)
        decorators = getattr(stmt, "decorators", ())
        anchor = decorators[0] if decorators else stmt
        offset = first - positions[anchor].start.line
        for f in group:
            pos = positions[f.node]
            f.line, f.col = pos.start.line + offset, pos.start.column
    return True


def _never_returns(fn: ast.AST) -> bool:
    """``-> NoReturn`` / ``-> Never``, or a body whose last statement raises or calls ``sys.exit`` (the ast twin
    of flow's test, so a stubbed function keeps the fact)."""
    ann = getattr(fn, "returns", None)
    if ann is not None:
        name = ann.attr if isinstance(ann, ast.Attribute) else getattr(ann, "id", "")
        return name in model.NO_RETURN_TYPES
    body = getattr(fn, "body", None)
    last = body[-1] if body else None
    if isinstance(last, ast.Raise):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        try:
            return ast.unparse(last.value.func) in model.EXIT_FUNCS
        except Exception:  # pragma: no cover - unparse of odd trees
            return False
    return False


def _without_docstrings(node: ast.AST, lines: list[str], start: int) -> str:
    """The node's source with the lines of every docstring (of the node and the defs and classes in it, and
    the attribute docstrings of generated models: any bare string statement) left out."""
    skip: set[int] = set()
    stack: list[ast.AST] = [node]
    while stack:  # statements only: a bare string is a statement, so expressions need not be walked
        n = stack.pop()
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            skip.update(range(n.lineno, (n.end_lineno or n.lineno) + 1))
            continue
        for name in _BLOCKS:
            block = getattr(n, name, None)
            if isinstance(block, list):
                stack.extend(block)
    end = getattr(node, "end_lineno", None) or start
    return "".join(lines[i - 1] for i in range(start, end + 1) if i not in skip)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # the fields of a statement that hold statements


def _ids_within(root: cst.CSTNode, ids: set[int]) -> set[int]:
    """Which of ``ids`` are nodes in ``root``'s subtree (the nodes the resolver walks; findings are among them)."""
    found: set[int] = set()
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        if id(node) in ids:
            found.add(id(node))
            if len(found) == len(ids):
                break
        stack.extend(iter_children(node))
    return found


def parse(source: str, tree: Optional[ast.AST] = None, max_size: int = 0) -> cst.Module:
    """libcst's parse of ``source``, after :func:`guard` (``tree``: its ``ast`` when the caller has it).

    A text with form feeds, lone backslashes or tabs mixed with spaces is parsed in its normalised form
    (:class:`text.ParserText`): same lines, columns shifted on the lines whose indentation changed, so
    ``module.code`` is that form, not ``source``."""
    guard(source, tree, max_size)
    ff = normalised(source)
    try:
        return cst.parse_module(ff.text if ff else source)
    except (cst.ParserSyntaxError, RecursionError, ValueError) as e:
        raise ParseError(_one_line(e)) from e


def analyze_source(
    source: str, config: Config = DEFAULT, path: str = "<stdin>", tree: Optional[ast.AST] = None
) -> list[Finding]:
    """Findings for one file's text; raises ParseError when libcst cannot parse it.

    ``tree`` is the file's ``ast`` when the caller already has it (flake8 does); it is used to leave out
    the functions that cannot hold a finding before the (more costly) libcst parse. Texts Python rejects
    raise ParseError, texts too deep or over ``config.max_file_size`` Skipped (a ParseError), without
    reaching libcst.
    """
    if not prefilter(source, config, path):
        return []
    tree = guard(source, tree, config.max_file_size)
    findings = analyze_module(parse(prune(source, config, tree), tree), config, path, tree=tree)
    return original_columns(findings, source)


def original_columns(findings: list[Finding], source: str) -> list[Finding]:
    """The findings of the normalised form of ``source`` (see :func:`parse`) placed on ``source`` itself."""
    ff = normalised(source)
    if ff is not None:
        for f in findings:
            f.col = ff.column(f.line, f.col)
    return findings


_RELEVANT = re.compile(r"(?i)state")
_RETURNS_OBJECT = re.compile(r"Job|Pipeline|Client|State")
_WORD = re.compile(r"\w+")
_CALLED = re.compile(r"(?<!def )\b(\w+)\(")
_RETURNS_VALUE = re.compile(r"(?i)\breturn\b[^\n]*(?:job|pipeline|client|batches|tunings)")
_ATTR_ASSIGN = re.compile(r"\b(?:self|cls)\.(\w+)\s*(?::[^=\n]*)?(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=(?!=)")


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
    lines = split_lines(source)
    extra = [w for w in list(config.state_attributes) + [m.rsplit(".", 1)[-1] for m in config.extra_modules] if w]
    spans: list[tuple[int, int, str]] = []
    raising: set[int] = set()  # first lines of functions that never return

    def relevant(fn: ast.AST, start: int) -> bool:
        end = getattr(fn, "end_lineno", None) or start
        first = start
        fbody = getattr(fn, "body", [])
        doc = fbody[0].value if fbody and isinstance(fbody[0], ast.Expr) else None
        if isinstance(doc, ast.Constant) and isinstance(doc.value, str):
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
        if _RETURNS_VALUE.search(text):
            prop = any("property" in ast.unparse(d) for d in getattr(fn, "decorator_list", []))
            helpers.append((start, end, getattr(fn, "name", ""), text, prop))
            return True  # a helper that may return a job or a client: kept when kept code calls it
        return False

    def consider(stmts: list, in_class: bool) -> None:
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in st.decorator_list] + [st.lineno])
                if not relevant(st, start) and st.end_lineno:
                    spans.append((start, st.end_lineno, st.name))
                if _never_returns(st):
                    raising.add(start)
            elif isinstance(st, ast.ClassDef):
                start = min([d.lineno for d in st.decorator_list] + [st.lineno])
                if st.end_lineno and not _class_relevant(st, start):
                    pending_classes.append((st, start, st.end_lineno))
                else:
                    kept_texts.append(" ".join(ast.unparse(b) for b in st.bases) + "\n")  # its bases matter
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
    classes: list[tuple[int, int, str]] = []
    helpers: list[tuple[int, int, str, str, bool]] = []
    pending_classes: list[tuple[ast.ClassDef, int, int]] = []

    def _class_relevant(cls: ast.ClassDef, start: int) -> bool:
        # a class none of whose code (docstrings aside) spells a state word holds no finding; it becomes a stub
        text = "".join(lines[start - 1 : cls.end_lineno])
        if not (_RELEVANT.search(text) or any(w in text for w in extra)):
            return False
        stripped = _without_docstrings(cls, lines, start)
        return bool(_RELEVANT.search(stripped) or any(w in stripped for w in extra))
    consider(body, False)
    # helpers and classes (bases, wrappers) matter when kept code calls or names them, transitively
    if helpers or pending_classes:
        words: set[str] = set()
        called: set[str] = set()
        done = 0
        while done < len(kept_texts):
            for text in kept_texts[done:]:
                words.update(_WORD.findall(text))
                called.update(_CALLED.findall(text))
            done = len(kept_texts)
            for item in [h for h in helpers if h[2] in called or (h[4] and h[2] in words)]:
                helpers.remove(item)
                kept_texts.append(item[3])
            for cls_item in [c for c in pending_classes if c[0].name in words]:
                pending_classes.remove(cls_item)
                kept_texts.append(" ".join(ast.unparse(b) for b in cls_item[0].bases) + "\n")
                consider(cls_item[0].body, True)
    spans.extend((h[0], h[1], h[2]) for h in helpers)
    classes.extend((start, end, st.name) for st, start, end in pending_classes)
    # a method that only assigns ``self.x`` matters when some kept code reads that ``x``
    kept = "".join(kept_texts)
    for attrs, start, end, name in with_attrs:
        if not any(re.search(rf"\.{re.escape(a)}\b", kept) for a in attrs):
            spans.append((start, end, name))
    spans.sort()
    if not spans and not bodies and not classes:
        return source
    if any(end > len(lines) for _, end, _ in spans + classes) or any(end > len(lines) for _, end in bodies):
        return source
    for start, end, name in classes:
        stub_lines(lines, start, end, f"class {name}:")
    for start, end in bodies:
        stub_lines(lines, start, end, "")
    for start, end, name in spans:
        stub_lines(lines, start, end, f"def {name}(*a, **k):", start in raising)
    return "".join(lines)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
