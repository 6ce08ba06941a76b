"""The README's promises: its example finds what it says, its quick start is what CI runs."""

from __future__ import annotations

import re

from flake8_jobstate.engine import analyze_source
from expectations import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_the_before_example_finds_what_its_comments_say():
    before = _blocks("python")[0]
    want = sorted((i, m) for i, line in enumerate(before.splitlines(), 1) for m in re.findall(r"# (JS\d{3})", line))
    got = sorted((f.line, f.code) for f in analyze_source(before))
    assert got == want and want


def test_quick_start_is_two_commands_and_ci_runs_the_test_command():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```bash\n(.*?)```", quick, re.S)]
    assert len(commands) == 2
    assert "fixtures/demo" in commands[0]
    install, test = (c.strip() for c in commands[1].split("&&"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    # .ci/run runs the command once per Python version, each in a fresh venv: both halves, verbatim, in that order
    assert test in ci_lines
    assert install in ci_lines and ci_lines.index(install) < ci_lines.index(test)
