"""The fixer as a LibCST codemod: applies the fixes the rules computed (it never re-derives their meaning).

Use it through ``flake8-jobstate fix`` or through LibCST's own runner::

    python -m libcst.tool codemod --no-format -x flake8_jobstate.codemod.JobStateCodemod src/
    python -m libcst.tool codemod --no-format -x flake8_jobstate.codemod.JobStateCodemod --unsafe-fixes src/

Each pass analyses the very tree it transforms (edits refer to nodes by identity), keeps the fixes of the
selected, not ``# noqa``-ed findings (safe ones always, unsafe ones only with ``--unsafe-fixes``), drops a fix
whose edits overlap an earlier fix's, replaces each edited node by ``cst.parse_expression(edit.code)`` (the
node's own parentheses kept) and schedules the fix's imports with ``AddImportsVisitor``. Up to
``MAX_PASSES`` passes run, so fixes dropped for an overlap are applied by a later pass and the result is a
fixed point: running the codemod again changes nothing.
"""

from __future__ import annotations

import argparse
import ast
import os
from typing import Callable, Optional, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor

from .config import Config
from .engine import analyze_module, prefilter
from .rules.base import Edit, Finding, Fix
from .text import final_break, normalised

MAX_PASSES = 4
_SETTINGS_CACHE: dict = {}

Accept = Callable[[Finding], bool]


class JobStateCodemod(VisitorBasedCodemodCommand):
    DESCRIPTION = (
        "flake8-jobstate: rewrite raw ints used as Vertex AI JobState/PipelineState values to enum members "
        "(JS101, safe) and enum paths the SDK lacks to the one real spelling (JS107, safe); with --unsafe-fixes "
        "also the behaviour-changing fixes for JS102, JS103 and JS106."
    )

    def __init__(
        self,
        context: CodemodContext,
        unsafe_fixes: bool = False,
        extra_modules: Optional[str] = None,
        state_attributes: Optional[str] = None,
        terminal_states: Optional[str] = None,
        *,
        config: Optional[Config] = None,
        accept: Optional[Accept] = None,
        schedule_imports: bool = True,
    ) -> None:
        super().__init__(context)
        self.unsafe_fixes = bool(unsafe_fixes)
        self._explicit_config = config
        self._options = (extra_modules, state_attributes, terminal_states)
        self._accept = accept
        self.schedule_imports = schedule_imports
        # results of the last transform_module call
        self.applied: list[Finding] = []
        self.needed_imports: list[tuple[str, str, Optional[str]]] = []
        self.prefiltered = False  # True when the caller has run the prefilter on this module's text
        self.first_ast: Optional[ast.AST] = None  # the ``ast`` of the text of the module given to transform_module
        # per pass
        self._replacements: dict[int, cst.BaseExpression] = {}
        self._inserts: dict[int, list[str]] = {}  # id(import line) -> import lines to add right after it

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes",
            action="store_true",
            default=False,
            help="Also apply fixes that change behaviour (JS102, JS103, JS106).",
        )
        arg_parser.add_argument(
            "--jobstate-extra-modules",
            dest="extra_modules",
            default=None,
            help="Modules that re-export the Vertex enums (MODULE or MODULE=v1beta1, comma separated).",
        )
        arg_parser.add_argument(
            "--jobstate-state-attributes",
            dest="state_attributes",
            default=None,
            help="Attribute names that hold a state (NAME or NAME=PipelineState, comma separated).",
        )
        arg_parser.add_argument(
            "--jobstate-terminal-states",
            dest="terminal_states",
            default=None,
            help="Extra states that end a wait (e.g. PAUSED).",
        )

    # -- configuration: explicit Config > codemod options > [tool.flake8-jobstate] next to the file ------------

    def _settings(self):  # noqa: ANN202 - (Config, accept)
        from .settings import build_settings

        filename = self.context.filename
        if self._explicit_config is not None:
            return self._explicit_config, self._accept
        folder = os.path.dirname(os.path.abspath(filename)) if filename else os.getcwd()
        key = (folder, self._options)
        settings = _SETTINGS_CACHE.get(key)
        if settings is None:  # LibCST's runner calls us once per file: read pyproject.toml once per folder
            opts = dict(zip(("extra_modules", "state_attributes", "terminal_states"), self._options))
            settings = _SETTINGS_CACHE[key] = build_settings(opts, [folder])
        accept = self._accept
        if accept is None:
            accept = lambda f: settings.selected(f.code)  # noqa: E731
        return settings.config, accept

    # -- the transform ---------------------------------------------------------------------------------------

    def transform_module(self, tree: cst.Module) -> cst.Module:
        self.applied = []
        self.needed_imports = []
        config, accept = self._settings()
        self._config, self._accept_pass = config, accept
        if not self.prefiltered and not prefilter(tree.code, config, self.context.filename):
            raise SkipFile("nothing that could be a Vertex job state")
        out = super().transform_module(tree)  # raises SkipFile when the first pass has nothing to do
        for _ in range(MAX_PASSES - 1):
            try:
                nxt = super().transform_module(out)
            except SkipFile:
                break
            if nxt.deep_equals(out):
                break
            out = nxt
        return out

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from .settings import NoqaMap

        path = self.context.filename or "<stdin>"
        # the first pass transforms the caller's text: its ``ast`` lets positions be found statement-wise
        first_ast, self.first_ast = self.first_ast, None
        findings = analyze_module(tree, self._config, path, tree=first_ast)
        candidates = [f for f in findings if f.fix is not None and (f.fix.safe or self.unsafe_fixes)]
        if candidates:
            accept = self._accept_pass
            noqa = NoqaMap(tree.code) if "noqa" in tree.code.lower() else None
            candidates = [
                f for f in candidates if (accept is None or accept(f)) and not (noqa and noqa.suppressed(f.line, f.code))
            ]
        if not candidates:
            raise SkipFile("no fixable findings")
        chosen = select_fixes(tree, candidates)
        if not chosen:
            raise SkipFile("no applicable fixes")
        self._replacements = {}
        self._inserts = {}
        scheduled: list[tuple[str, str, Optional[str]]] = []
        for f in chosen:
            assert f.fix is not None
            for edit in f.fix.edits:
                self._replacements[id(edit.node)] = _replacement(edit)
            for imp in f.fix.imports:
                module, name, asname = imp[:3]
                after = getattr(imp, "after", None)
                if after is not None:  # a new line right after an existing import, in its block
                    lines = self._inserts.setdefault(id(after), [])
                    line = f"from {module} import {name}" + (f" as {asname}" if asname else "")
                    if line not in lines:
                        lines.append(line)
                    continue
                if (module, name, asname) not in scheduled:  # once per pass: LibCST would write it twice
                    scheduled.append((module, name, asname))
                    if self.schedule_imports:
                        AddImportsVisitor.add_needed_import(self.context, module, name, asname)
                if (module, name, asname) not in self.needed_imports:
                    self.needed_imports.append((module, name, asname))
        self.applied.extend(chosen)
        try:
            return tree.visit(self)
        finally:
            self._replacements = {}
            self._inserts = {}

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        new = self._replacements.get(id(original_node))
        if new is not None:
            return new
        lines = self._inserts.get(id(original_node))
        if lines and isinstance(updated_node, cst.SimpleStatementLine):
            added = [cst.parse_statement(line + "\n") for line in lines]
            return cst.FlattenSentinel([updated_node, *added])
        return super().on_leave(original_node, updated_node)


def _replacement(edit: Edit) -> cst.BaseExpression:
    """The edit's expression, wearing the replaced node's parentheses (and their whitespace)."""
    new = cst.parse_expression(edit.code)
    old = edit.node
    lpar = getattr(old, "lpar", ())
    if lpar and not new.lpar:
        new = new.with_changes(lpar=old.lpar, rpar=old.rpar)  # type: ignore[attr-defined]
    return new


def select_fixes(tree: cst.Module, findings: Sequence[Finding]) -> list[Finding]:
    """Greedy, in report order: keep a fix when none of its edits overlaps (same node with other code, or
    ancestor/descendant) an edit of a fix already kept. Identical edits of two findings are compatible."""
    targets: set[int] = set()
    for f in findings:
        assert f.fix is not None
        targets.update(id(e.node) for e in f.fix.edits)
    nested = _nesting(tree, targets)
    kept: list[Finding] = []
    taken: dict[int, str] = {}  # node id -> code written there
    for f in findings:
        fix: Fix = f.fix  # type: ignore[assignment]
        ok = True
        for e in fix.edits:
            nid = id(e.node)
            if nid in taken and taken[nid] != e.code:
                ok = False
            elif any(other in taken for other in nested.get(nid, ())):
                ok = False
        # the edits of one fix must not overlap each other either
        ids = [id(e.node) for e in fix.edits]
        if ok and any(o in ids for i in ids for o in nested.get(i, ())):
            ok = False
        if ok:
            kept.append(f)
            for e in fix.edits:
                taken[id(e.node)] = e.code
    return kept


def _nesting(tree: cst.Module, targets: set[int]) -> dict[int, set[int]]:
    """For each target node id, the target ids it contains or is contained in."""
    related: dict[int, set[int]] = {t: set() for t in targets}
    stack: list[int] = []

    class _Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nid = id(node)
            if nid in targets:
                for outer in stack:
                    related[outer].add(nid)
                    related[nid].add(outer)
                stack.append(nid)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if stack and stack[-1] == id(original_node):
                stack.pop()

    tree.visit(_Walk())
    return related


def fix_code(
    source: str,
    config: Config,
    path: str = "<stdin>",
    unsafe_fixes: bool = False,
    accept: Optional[Accept] = None,
    schedule_imports: bool = True,
    unchanged_findings: Optional[list] = None,
    cheap_pass: bool = True,
) -> tuple[str, list[Finding], list[tuple[str, str, Optional[str]]]]:
    """(new source, applied findings, needed imports) for one module's text. Raises engine.ParseError.

    The text is parsed once here to see whether any fix applies; only then does the codemod (which copies
    the tree for LibCST's metadata machinery) run. When nothing applies and ``unchanged_findings`` is a list,
    it receives the findings of the (unchanged) text, so a caller can say what is left without a second analysis.
    ``cheap_pass=False``: the caller has already run the cheap pass (``analyze_source``) and it found
    something to fix.
    """
    from .engine import analyze_source, deep_recursion, parse, python_tree

    if cheap_pass and not prefilter(source, config, path):
        return source, [], []
    # the cheap pass first (irrelevant functions stubbed, same findings): most files have nothing to fix
    if cheap_pass:
        first = analyze_source(source, config, path)
        if not any(f.fix is not None and (f.fix.safe or unsafe_fixes) for f in first):
            if unchanged_findings is not None:
                unchanged_findings.extend(first)
            return source, [], []
    module = parse(source)  # (the codemod's first pass analyses this tree: no separate check here)
    ctx = CodemodContext(filename=path if path != "<stdin>" else None)
    cm = JobStateCodemod(
        ctx, unsafe_fixes=unsafe_fixes, config=config, accept=accept, schedule_imports=schedule_imports
    )
    cm.prefiltered = True  # done above, on the same text: no codegen of the whole tree to do it again
    cm.first_ast = python_tree(source)
    try:
        with deep_recursion():  # long ``or`` chains: libcst's transform and codegen recurse per operand
            code = cm.transform_module(module).code
    except SkipFile:
        return source, [], []
    ff = normalised(source)  # parse() normalised form feeds: put the original's back on unchanged lines
    return final_break(source, ff.restore(code) if ff else code), cm.applied, cm.needed_imports


__all__ = ["JobStateCodemod", "fix_code", "select_fixes", "MAX_PASSES"]
