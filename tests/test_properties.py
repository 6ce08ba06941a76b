"""Properties over generated and mutated programs (generators: tests/generators.py).

For every program: the flake8 plugin and the CLI's per-file check never fail internally; ``fix`` (safe, and with
the unsafe fixes) gives code that compiles when the input did, is a fixed point, leaves a file without a fixable
finding byte-identical, leaves no finding marked fixable at its level, and adds no pyflakes (flake8 F) message.

Fast by default (a few seconds); ``JOBSTATE_PROPERTY_EXAMPLES=2000`` runs that many examples per test, and
``JOBSTATE_PROPERTY_REPORT=FILE`` appends the counts (programs, mutated files, failures) to FILE.
"""

from __future__ import annotations

import ast
import logging
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from generators import Program, mutated_fixtures, programs
from flake8_jobstate.codemod import fix_code
from flake8_jobstate.config import DEFAULT
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.errors import ParseError
from flake8_jobstate.files import CHECK, WRITE, check_file, fix_file
from flake8_jobstate.flake8_plugin import Plugin
from flake8_jobstate.settings import NoqaMap, Settings, file_is_noqa

EXAMPLES = int(os.environ.get("JOBSTATE_PROPERTY_EXAMPLES", "12"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 12,
                    suppress_health_check=list(HealthCheck))
COUNTS: Counter = Counter()


def _compiles(source: str) -> bool:
    try:
        compile(source, "<p>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _count(program: Program) -> None:
    COUNTS["programs"] += 1
    COUNTS["generated" if program.origin == "hypothesmith" else "mutated"] += 1
    COUNTS["compiling"] += _compiles(program.source)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    path = os.environ.get("JOBSTATE_PROPERTY_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{dict(COUNTS)}\n")


def _findings(source: str):
    try:
        return analyze_source(source, DEFAULT, "p.py")
    except ParseError:
        return None


def _fixable(findings, source: str, unsafe: bool) -> list:
    if not findings or file_is_noqa(source):
        return []
    noqa = NoqaMap(source)
    return [f for f in findings if f.fix is not None and (f.fix.safe or unsafe) and not noqa.suppressed(f.line, f.code)]


def _pyflakes(source: str) -> Counter:
    from pyflakes.checker import Checker

    return Counter(type(m).__name__ for m in Checker(ast.parse(source), "p.py").messages)


@given(programs())
@SETTINGS
def test_plugin_and_check_never_fail(tmp_path_factory, program: Program):
    _count(program)
    lines = program.source.splitlines(keepends=True)
    try:
        tree = ast.parse(program.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = ast.parse("")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("flake8.jobstate")
    log.addHandler(handler)
    try:
        list(Plugin(tree, lines, "p.py").run())
    finally:
        log.removeHandler(handler)
    assert not [r for r in records if "internal error" in r.getMessage()], program.origin
    path = tmp_path_factory.mktemp("p") / "p.py"
    path.write_text(program.source, encoding="utf-8")
    res = check_file(str(path), Settings())
    assert not [e for e in res.errors if "internal error" in e], (program.origin, res.errors)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@given(program=mutated_fixtures())
@SETTINGS
def test_fix_properties(tmp_path_factory, unsafe: bool, program: Program):
    _count(program)
    source = program.source
    if not _compiles(source):
        return
    before = _findings(source)
    if before is None:  # libcst cannot parse what Python can: reported, nothing to fix
        return
    promised = _fixable(before, source, unsafe)
    fixed, applied, _ = fix_code(source, DEFAULT, "p.py", unsafe_fixes=unsafe)
    COUNTS["fixed files" if fixed != source else "untouched files"] += 1
    # no fix without a marker, no marker without a fix
    assert Counter(f.code for f in applied) == Counter(f.code for f in promised), program.origin
    if not promised:
        assert fixed == source, program.origin
        return
    assert _compiles(fixed), program.origin
    again, more, _ = fix_code(fixed, DEFAULT, "p.py", unsafe_fixes=unsafe)
    assert again == fixed and not more, program.origin  # idempotent
    after = _findings(fixed)
    assert after is not None and _fixable(after, fixed, unsafe) == [], program.origin
    new_flakes = _pyflakes(fixed) - _pyflakes(source)
    assert not new_flakes, (program.origin, new_flakes)
    # through the CLI's file path too: --check agrees, a write is byte-exact what fix_code gave
    path = Path(tmp_path_factory.mktemp("f")) / "p.py"
    path.write_bytes(source.encode("utf-8"))
    s = Settings(unsafe_fixes=unsafe)
    assert fix_file(str(path), s, CHECK).changed
    res = fix_file(str(path), s, WRITE)
    assert not res.errors and path.read_bytes() == fixed.encode("utf-8"), (program.origin, res.errors)
    assert [k for _, k in res.left if k == "safe" or (unsafe and k == "unsafe")] == []


@given(program=mutated_fixtures())
@SETTINGS
def test_unfixable_files_stay_byte_identical(tmp_path_factory, program: Program):
    _count(program)
    source = program.source
    findings = _findings(source) if _compiles(source) else None
    if findings is None or _fixable(findings, source, True):
        return
    path = Path(tmp_path_factory.mktemp("u")) / "p.py"
    data = source.encode("utf-8")
    path.write_bytes(data)
    res = fix_file(str(path), Settings(unsafe_fixes=True), WRITE)
    assert not res.changed and path.read_bytes() == data, program.origin
