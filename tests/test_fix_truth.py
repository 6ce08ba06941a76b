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
