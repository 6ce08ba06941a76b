"""One truth about fixes: a finding says "(fix available)" / "(unsafe fix available)" exactly when
``flake8-jobstate fix`` / ``fix --unsafe-fixes`` changes it, on every fixture of the repository."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from expectations import FIXTURES, config_of, fixture_files
from flake8_jobstate.codemod import fix_code
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.rules.base import MARKERS
from flake8_jobstate.settings import NoqaMap

ALL = sorted(set(fixture_files()) | set(FIXTURES.glob("codemod/*.py")))


def _promised(findings, source: str, unsafe: bool) -> list:
    noqa = NoqaMap(source)
    return [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)
            and not noqa.suppressed(f.line, f.code)]


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_marker_iff_fix_changes_it(path: Path, unsafe: bool):
    source = path.read_text(encoding="utf-8")
    config = config_of(source)
    findings = analyze_source(source, config, str(path))
    promised = _promised(findings, source, unsafe)
    new, applied, _ = fix_code(source, config, str(path), unsafe_fixes=unsafe)
    # no change without a marker, no marker without a change
    assert Counter(f.code for f in applied) == Counter(f.code for f in promised)
    if not promised:
        assert new == source
    # and nothing marked fixable (at this level) is left afterwards
    left = _promised(analyze_source(new, config, str(path)), new, unsafe)
    assert [(f.line, f.text) for f in left] == []


def test_markers_are_in_the_messages():
    source = (FIXTURES / "rules" / "js101_raw_int.py").read_text(encoding="utf-8")
    findings = analyze_source(source, config_of(source))
    for f in findings:
        has = [m for m in MARKERS.values() if f.text.endswith(m)]
        assert has == ([MARKERS["safe" if f.fix.safe else "unsafe"]] if f.fix else []), f.text
    assert any(f.fix is None for f in findings) and any(f.fix is not None for f in findings)


# ---------------------------------------------------------------------------------------------------------------
# import placement: the fixed module imports wherever the original did


GOLDEN = sorted(FIXTURES.glob("codemod/*.before.py"))


def _after(p: Path) -> Path:
    return p.with_name(p.name.replace(".before.py", ".after.py"))


@pytest.mark.parametrize("before", GOLDEN, ids=lambda p: p.name)
def test_fixed_module_imports_without_the_sdk_when_the_original_did(before: Path):
    """Module-level code of the after file runs with the Vertex SDK unimportable whenever the before file's did
    (lazy imports, optional extras, Kubeflow components keep the SDK out of the module's import)."""
    import builtins

    real_import = builtins.__import__

    def no_sdk(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002, ANN001, ANN202
        if name.startswith(("google.cloud.aiplatform", "vertexai")) or (
            name == "google.cloud" and any(str(n).startswith("aiplatform") for n in fromlist or ())
        ):
            raise ImportError(f"no module named {name!r} (blocked)")
        if name.startswith(("kfp", "google.cloud.dataflow")):
            import types

            stub = types.ModuleType(name)
            stub.dsl = stub  # type: ignore[attr-defined]
            stub.component = stub.__getattr__ = lambda *a, **k: (lambda f: f) if a and not callable(a[0]) else (a[0] if a else (lambda f: f))  # type: ignore[attr-defined]
            stub.JobState = object  # type: ignore[attr-defined]
            return stub
        return real_import(name, globals, locals, fromlist, level)

    def imports(path: Path) -> bool:
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        builtins.__import__ = no_sdk
        try:
            exec(code, {"__name__": "fixture"})
            return True
        except Exception:  # noqa: BLE001
            return False
        finally:
            builtins.__import__ = real_import

    if imports(before):
        assert imports(_after(before)), _after(before).name


@pytest.mark.parametrize("before", GOLDEN, ids=lambda p: p.name)
def test_fixed_module_has_no_new_pyflakes_codes(before: Path):
    """No duplicate import (F811), no undefined name (F821), no unused import (F401) that was not there before."""
    import subprocess
    import sys

    def codes(path: Path) -> Counter:
        out = subprocess.run([sys.executable, "-m", "flake8", "--select", "F", "--format", "%(code)s", str(path)],
                             capture_output=True, text=True).stdout
        return Counter(out.split())

    assert codes(_after(before)) - codes(before) == Counter()
