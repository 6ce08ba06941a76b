"""Inline expectations in fixture files: ``# JS101`` (or ``# JS101:17`` with flake8's 1-based column).

A line may expect several findings: ``# JS101 JS104``. A fixture may set options in a header line
``# jobstate-config: terminal_states=PAUSED; state_attributes=current_state``.
The harness compares the whole sorted list, so an extra finding fails as surely as a missing one.
"""

from __future__ import annotations

import re
from pathlib import Path

from flake8_jobstate.config import Config, build_config
from flake8_jobstate.text import split_lines

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

_EXPECT = re.compile(r"#\s*((?:JS\d{3}(?::\d+)?)(?:[ ,]+JS\d{3}(?::\d+)?)*)\s*$")
_CONFIG = re.compile(r"^#\s*jobstate-config:\s*(.*)$", re.M)


def expected(source: str) -> list[tuple[int, str]]:
    """[(line, "JS101")] or [(line, "JS101:17")] as written in the file."""
    out = []
    for lineno, line in enumerate(split_lines(source), 1):
        m = _EXPECT.search(line)
        if m and "noqa" not in line:
            for item in re.split(r"[ ,]+", m.group(1).strip()):
                out.append((lineno, item))
    return sorted(out)


def actual(findings, with_cols: set[int]) -> list[tuple[int, str]]:
    return sorted((f.line, f"{f.code}:{f.col + 1}" if f.line in with_cols else f.code) for f in findings)


def config_of(source: str) -> Config:
    m = _CONFIG.search(source)
    if not m:
        return Config()
    kwargs = {}
    for part in m.group(1).split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            kwargs[k.strip()] = v.strip()
    return build_config(
        extra_modules=kwargs.get("extra_modules"),
        state_attributes=kwargs.get("state_attributes"),
        terminal_states=kwargs.get("terminal_states"),
    )


def fixture_files() -> list[Path]:
    """Every fixture with inline expectations (golden codemod files live apart, under fixtures/codemod)."""
    return sorted(p for p in FIXTURES.rglob("*.py") if "codemod" not in p.relative_to(FIXTURES).parts)
