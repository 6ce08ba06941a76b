"""The codemod: golden before/after files, invariants on every fixture, LibCST's own runner, and the truth test.

Golden files: ``fixtures/codemod/NAME.before.py`` -> ``NAME.after.py``; a before file whose first line is
``# codemod: --unsafe-fixes`` is fixed with the unsafe fixes too.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, SkipFile

from expectations import FIXTURES, config_of, fixture_files
from flake8_jobstate.codemod import JobStateCodemod, fix_code, select_fixes
from flake8_jobstate.config import DEFAULT, Config
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.rules.base import Edit, Finding, Fix
from flake8_jobstate.settings import NoqaMap

GOLDEN = FIXTURES / "codemod"
BEFORE = sorted(GOLDEN.glob("*.before.py"))
UNSAFE_HEADER = "# codemod: --unsafe-fixes"


def _unsafe(source: str) -> bool:
    return source.splitlines()[0].strip() == UNSAFE_HEADER if source else False


def _after(path: Path) -> Path:
    return path.with_name(path.name.replace(".before.py", ".after.py"))


def _id(p: Path) -> str:
    return str(p.relative_to(FIXTURES))


# ---------------------------------------------------------------------------------------------------------------
# golden files


def test_there_are_golden_files():
    assert len(BEFORE) >= 8
    for p in BEFORE:
        assert _after(p).exists(), f"{p.name} has no .after.py"


@pytest.mark.parametrize("before", BEFORE, ids=_id)
def test_golden(before: Path):
    source = before.read_text(encoding="utf-8")
    want = _after(before).read_text(encoding="utf-8")
    got, _, _ = fix_code(source, DEFAULT, str(before), unsafe_fixes=_unsafe(source))
    assert got == want


@pytest.mark.parametrize("before", BEFORE, ids=_id)
def test_golden_through_libcst_api(before: Path):
    """The command class used the way LibCST runs it: ``transform_module`` on a parsed module."""
    source = before.read_text(encoding="utf-8")
    want = _after(before).read_text(encoding="utf-8")
    cm = JobStateCodemod(CodemodContext(filename=str(before)), unsafe_fixes=_unsafe(source))
    try:
        got = cm.transform_module(cst.parse_module(source)).code
    except SkipFile:
        got = source
    assert got == want


@pytest.mark.parametrize("before", BEFORE, ids=_id)
def test_golden_after_is_a_fixed_point(before: Path):
    after = _after(before).read_text(encoding="utf-8")
    again, applied, _ = fix_code(after, DEFAULT, str(before), unsafe_fixes=_unsafe(after))
    assert again == after
    assert applied == []


def test_unsafe_fixes_need_the_flag():
    safe_only = (GOLDEN / "safe_only_strings.before.py").read_text(encoding="utf-8")
    assert fix_code(safe_only, DEFAULT, "x.py")[0] == safe_only
    assert fix_code(safe_only, DEFAULT, "x.py", unsafe_fixes=True)[0] != safe_only


# ---------------------------------------------------------------------------------------------------------------
# LibCST's runner: python -m libcst.tool codemod -x flake8_jobstate.codemod.JobStateCodemod


def _libcst_tool(args: list[str], cwd: Path, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "-x", "flake8_jobstate.codemod.JobStateCodemod"]
    return subprocess.run(cmd + args, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)


def test_libcst_tool_files(tmp_path: Path):
    names = ["js101_add_import", "js101_alias", "unsafe_strings", "dataflow_untouched"]
    for n in names:
        shutil.copy(GOLDEN / f"{n}.before.py", tmp_path / f"{n}.py")
    proc = _libcst_tool(["--hide-progress", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    for n in names:
        got = (tmp_path / f"{n}.py").read_text(encoding="utf-8")
        if n == "unsafe_strings":  # safe fixes only without the flag: these are all unsafe
            assert got == (GOLDEN / f"{n}.before.py").read_text(encoding="utf-8")
        else:
            assert got == (GOLDEN / f"{n}.after.py").read_text(encoding="utf-8")
    # a second run changes nothing
    snapshot = {n: (tmp_path / f"{n}.py").read_text(encoding="utf-8") for n in names}
    proc = _libcst_tool(["--hide-progress", "."], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert snapshot == {n: (tmp_path / f"{n}.py").read_text(encoding="utf-8") for n in names}


def test_libcst_tool_unsafe_flag_and_stdin(tmp_path: Path):
    source = (GOLDEN / "unsafe_strings.before.py").read_text(encoding="utf-8")
    proc = _libcst_tool(["--unsafe-fixes", "-"], tmp_path, stdin=source)
    assert proc.returncode == 0, proc.stderr
    # libcst.tool prints the code followed by one newline of its own
    assert proc.stdout[:-1] == (GOLDEN / "unsafe_strings.after.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------
# invariants on every fixture file (and the golden inputs)


def _invariant_files() -> list[Path]:
    return fixture_files() + BEFORE


def _imports(tree: ast.Module) -> set[tuple]:
    """Every import, wherever it is (fixes add imports inside functions and ``try:`` bodies too)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out |= {(node.module, a.name, a.asname) for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {(a.name, None, a.asname) for a in node.names}
    return out


def _strip_imports(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements with every import statement (at any depth) left out."""
    import copy

    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list):
                setattr(node, field, [n for n in stmts if not isinstance(n, (ast.Import, ast.ImportFrom))])
    return tree.body


def _differences(a: object, b: object, out: list[tuple[ast.AST, ast.AST]], parent: Optional[tuple] = None) -> None:
    """Walk two trees in parallel; record each (before, after) pair of subtrees that differ at their root."""
    if isinstance(a, ast.AST) and isinstance(b, ast.AST):
        if type(a) is not type(b):
            out.append((a, b))
            return
        before = len(out)
        for name in a._fields:
            va, vb = getattr(a, name, None), getattr(b, name, None)
            if isinstance(va, ast.AST) or isinstance(vb, ast.AST) or isinstance(va, list):
                _differences(va, vb, out, (a, b))
            elif va != vb:
                out[before:] = [(a, b)]
                return
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            assert parent is not None
            out.append(parent)
            return
        for x, y in zip(a, b):
            _differences(x, y, out, parent)
        return
    if a != b:
        assert parent is not None
        out.append(parent)


def _replacement_kind(before: ast.AST, after: ast.AST) -> Optional[str]:
    """What a single replaced expression may look like; None when it is not a fix's replacement."""
    src_after = ast.unparse(after)
    member = src_after.rsplit(".", 1)[-1]
    if isinstance(after, ast.Attribute) and member.startswith(("JOB_STATE_", "PIPELINE_STATE_")):
        if isinstance(before, ast.Constant) and isinstance(before.value, (int, str)):
            return "member"
        # ``E(4)`` -> ``E.MEMBER`` through the call's own spelling of the class
        if isinstance(before, ast.Call) and len(before.args) == 1 and isinstance(before.args[0], ast.Constant) \
                and ast.dump(before.func) == ast.dump(after.value):
            return "call-to-member"
    if isinstance(after, ast.Constant) and isinstance(after.value, str) and isinstance(before, ast.Constant):
        if after.value.startswith(("JOB_STATE_", "PIPELINE_STATE_")):
            return "name-string"
    if _dotted(before) and _dotted(after) and src_after.split(".")[0] == ast.unparse(before).split(".")[0]:
        return "enum-path"  # JS107: a path of names from the same root, spelled to reach a real enum
    if isinstance(after, ast.Attribute) and after.attr == "name":
        if isinstance(before, (ast.Call, ast.JoinedStr, ast.BinOp)):
            return "rendered-to-name"
        if ast.dump(after.value) == ast.dump(before):
            return "state-to-name"
    return None


def _dotted(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _changes(edit: Edit) -> bool:
    """Whether an edit changes the AST (a JS102 `.name` fix may rewrite a string to the same string)."""
    old = cst.Module([]).code_for_node(edit.node)
    return ast.dump(ast.parse(old.strip(), mode="eval")) != ast.dump(ast.parse(edit.code, mode="eval"))


def _fix(source: str, config: Config, path: str, unsafe: bool):
    return fix_code(source, config, path, unsafe_fixes=unsafe)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", _invariant_files(), ids=_id)
def test_invariants(path: Path, unsafe: bool):
    source = path.read_text(encoding="utf-8")
    config = config_of(source)
    fixed, applied, _ = _fix(source, config, str(path), unsafe)
    if fixed == source:
        assert not applied
        return
    # 1. it parses (and compiles where the original did)
    cst.parse_module(fixed)
    before_tree, after_tree = ast.parse(source), ast.parse(fixed)
    compile(fixed, str(path), "exec", dont_inherit=True)
    # 2. the AST differs only at replaced nodes (and in added imports)
    assert _imports(before_tree) <= _imports(after_tree)
    for module, name, _ in _imports(after_tree) - _imports(before_tree):
        assert module and module.startswith("google.cloud.aiplatform"), (module, name)
    diffs: list[tuple[ast.AST, ast.AST]] = []
    _differences(_strip_imports(before_tree), _strip_imports(after_tree), diffs, ("module", "module"))
    edits = sum(1 for f in applied if f.fix is not None for e in f.fix.edits if _changes(e))
    assert len(diffs) == edits, [ast.unparse(a) + " -> " + ast.unparse(b) for a, b in diffs]
    for a, b in diffs:
        assert _replacement_kind(a, b), f"{ast.unparse(a)!r} -> {ast.unparse(b)!r} is not a fix's replacement"
        if not unsafe:  # safe fixes only turn a raw int (or ``E(int)``) into a member, or a missing enum path into a real one
            assert (_replacement_kind(a, b) == "member" and isinstance(a, ast.Constant) and isinstance(a.value, int)) \
                or _replacement_kind(a, b) in ("call-to-member", "enum-path")
    # 3. re-checking finds no fixable JS101 (one that is # noqa-ed, or whose class is not exactly known, stays)
    noqa = NoqaMap(fixed)
    left = [
        f for f in analyze_source(fixed, config, str(path))
        if f.code == "JS101" and f.fix is not None and not noqa.suppressed(f.line, f.code)
    ]
    assert left == []
    # 4. a second run changes nothing
    again, applied_again, _ = _fix(fixed, config, str(path), unsafe)
    assert again == fixed
    assert applied_again == []


# ---------------------------------------------------------------------------------------------------------------
# overlapping edits


def _nodes(module: cst.Module, kind: type) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class V(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, kind):
                found.append(node)
            return True

    module.visit(V())
    return found


def test_overlapping_fixes_keep_the_first():
    module = cst.parse_module("x = (a == 4)\n")
    comp = _nodes(module, cst.Comparison)[0]
    four = _nodes(module, cst.Integer)[0]
    name = _nodes(module, cst.Name)[1]  # `a`
    outer = Finding("JS106", "m", comp, Fix((Edit(comp, "a.name == 'X'"),), safe=False))
    inner = Finding("JS101", "m", four, Fix((Edit(four, "E.X"),), safe=True))
    other = Finding("JS101", "m", name, Fix((Edit(name, "b"),), safe=True))
    same = Finding("JS101", "m", four, Fix((Edit(four, "E.X"),), safe=True))
    assert select_fixes(module, [outer, inner, other]) == [outer]
    assert select_fixes(module, [inner, outer, other]) == [inner, other]
    assert select_fixes(module, [inner, same]) == [inner, same]  # identical edits are compatible
    clash = Finding("JS101", "m", four, Fix((Edit(four, "E.Y"),), safe=True))
    assert select_fixes(module, [inner, clash]) == [inner]


def test_parentheses_are_kept():
    src = (
        "from google.cloud.aiplatform_v1.types import JobState\n"
        "def f(state: JobState):\n"
        "    return state == ( 4 )\n"
    )
    out, applied, _ = fix_code(src, DEFAULT, "x.py")
    assert "state == ( JobState.JOB_STATE_SUCCEEDED )" in out
    assert len(applied) == 1


def test_nothing_to_do_is_skipped():
    cm = JobStateCodemod(CodemodContext(), config=DEFAULT)
    with pytest.raises(SkipFile):
        cm.transform_module(cst.parse_module("x = 4\n"))


# ---------------------------------------------------------------------------------------------------------------
# truth: the rewritten comparisons, evaluated with the real SDK for every state value

CLASSES = {
    "v1.JobState": ("from google.cloud.aiplatform_v1.types import JobState as E", "google.cloud.aiplatform_v1.types", "JobState"),
    "v1beta1.JobState": (
        "from google.cloud.aiplatform_v1beta1.types import JobState as E",
        "google.cloud.aiplatform_v1beta1.types",
        "JobState",
    ),
    "v1.PipelineState": (
        "from google.cloud.aiplatform_v1.types import PipelineState as E",
        "google.cloud.aiplatform_v1.types",
        "PipelineState",
    ),
    "v1beta1.PipelineState": (
        "from google.cloud.aiplatform_v1beta1.types import PipelineState as E",
        "google.cloud.aiplatform_v1beta1.types",
        "PipelineState",
    ),
}


def _run(code: str, func: str, arg: object) -> object:
    ns: dict = {}
    exec(compile(code, "<truth>", "exec"), ns)  # noqa: S102 - our own generated test code
    return ns[func](arg)


def _real(key: str):
    import importlib

    _, module, name = CLASSES[key]
    return getattr(importlib.import_module(module), name)


SAFE_CASES = [
    "state == {i}",
    "state != {i}",
    "{i} == state",
    "state < {i}",
    "state >= {i}",
    "state in ({i}, {j})",
    "state not in [{i}, {j}]",
]


@pytest.mark.parametrize("key", sorted(CLASSES))
@pytest.mark.parametrize("template", SAFE_CASES)
def test_truth_safe_fixes_keep_behaviour(key: str, template: str):
    pytest.importorskip("google.cloud.aiplatform_v1")
    enum = _real(key)
    imp = CLASSES[key][0]
    members = list(enum)
    for m in members:
        i, j = int(m), (int(m) + 1) % len(members)
        src = f"{imp}\n\n\ndef check(state: E):\n    return {template.format(i=i, j=j)}\n"
        fixed, applied, _ = fix_code(src, DEFAULT, "truth.py")
        assert applied and fixed != src, src
        assert all(f.code == "JS101" for f in applied)
        for value in members:
            assert _run(fixed, "check", value) == _run(src, "check", value), (fixed, value)


UNSAFE_CASES = [
    # (template, the member the author meant: derived from the literal, True when the original is always False)
    ('state == "{full}"', "full"),
    ('state != "{full}"', "full"),
    ('state in ("{full}",)', "full"),
    ('state.name == "{short}"', "short"),
    ('str(state) == "{int}"', "int"),
    ('str(state) == "{cls}.{full}"', "full"),
    ('f"{{state}}" == "{int}"', "int"),
]


@pytest.mark.parametrize("key", sorted(CLASSES))
@pytest.mark.parametrize("template,_kind", UNSAFE_CASES)
def test_truth_unsafe_fixes_are_now_correct(key: str, template: str, _kind: str):
    pytest.importorskip("google.cloud.aiplatform_v1")
    enum = _real(key)
    imp = CLASSES[key][0]
    # the annotation spells the real class so the fix can name the exact class
    module = CLASSES[key][1]
    cls_name = CLASSES[key][2]
    imp = f"import {module}\n{imp}"
    ann = f"{module}.{cls_name}"
    prefix = "JOB_STATE_" if cls_name == "JobState" else "PIPELINE_STATE_"
    for meant in enum:
        if int(meant) == 0:
            continue
        short = meant.name[len(prefix) :]
        expr = template.format(full=meant.name, short=short, int=int(meant), cls=cls_name)
        src = f"{imp}\n\n\ndef check(state: {ann}):\n    return {expr}\n"
        fixed, applied, _ = fix_code(src, DEFAULT, "truth.py", unsafe_fixes=True)
        assert applied, src
        negated = "!=" in template
        for value in enum:
            correct = (value is meant) != negated
            assert _run(fixed, "check", value) == correct, (fixed, value)


def test_truth_v1beta1_value_never_gets_a_v1_member():
    pytest.importorskip("google.cloud.aiplatform_v1beta1")
    from google.cloud.aiplatform_v1beta1.types import JobState as Beta

    src = (
        "from google.cloud import aiplatform_v1beta1\n"
        "from google.cloud.aiplatform_v1 import JobState\n\n\n"
        "def check(state: aiplatform_v1beta1.JobState):\n"
        '    return state == "JOB_STATE_FAILED"\n'
    )
    fixed, applied, _ = fix_code(src, DEFAULT, "truth.py", unsafe_fixes=True)
    assert "aiplatform_v1beta1.JobState.JOB_STATE_FAILED" in fixed
    assert [_run(fixed, "check", v) for v in Beta] == [v.name == "JOB_STATE_FAILED" for v in Beta]
