"""Every fixture file: the findings equal the inline expectations, as a whole sorted list."""

from __future__ import annotations

import pytest

from flake8_jobstate.engine import analyze_source
from expectations import FIXTURES, actual, config_of, expected, fixture_files


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path):
    source = path.read_text(encoding="utf-8")
    want = expected(source)
    with_cols = {line for line, item in want if ":" in item}
    got = actual(analyze_source(source, config_of(source), str(path)), with_cols)
    assert got == want


def test_there_are_fixtures_for_every_rule():
    from flake8_jobstate.rules import iter_rules

    seen = {item.split(":")[0] for p in fixture_files() for _, item in expected(p.read_text(encoding="utf-8"))}
    missing = {r.code for r in iter_rules()} - seen
    assert not missing, f"rules without a positive fixture: {sorted(missing)}"
