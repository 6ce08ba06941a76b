"""End to end through the real flake8 executable, as a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from flake8_jobstate import flake8_plugin
from expectations import FIXTURES, ROOT, expected, fixture_files

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<msg>.*)$")


def flake8(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_plugin_is_registered():
    out = flake8("--version").stdout
    assert "flake8-jobstate" in out


def test_fixtures_through_flake8():
    """One flake8 run over every plain fixture (no per-file config): same findings as the inline expectations."""
    files = [p for p in fixture_files() if "jobstate-config:" not in p.read_text(encoding="utf-8")]
    proc = flake8("--select", "JS", "--isolated", *map(str, files))
    assert "Traceback" not in proc.stderr
    got: dict[str, list] = {}
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        assert m, line
        got.setdefault(m["path"], []).append((int(m["line"]), m["code"], int(m["col"])))
    for p in files:
        want = expected(p.read_text(encoding="utf-8"))
        have = got.get(str(p), [])
        cols = {ln for ln, item in want if ":" in item}
        have_items = sorted((ln, f"{code}:{col}" if ln in cols else code) for ln, code, col in have)
        assert have_items == want, p.relative_to(FIXTURES)
    assert proc.returncode == 1


def test_clean_file_exits_zero(tmp_path):
    f = tmp_path / "ok.py"
    f.write_text("from google.cloud.aiplatform_v1 import JobState\nDONE = JobState.JOB_STATE_SUCCEEDED\n")
    proc = flake8("--select", "JS", "--isolated", str(f))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_noqa_is_honoured_by_flake8(tmp_path):
    f = tmp_path / "n.py"
    f.write_text(
        "from google.cloud.aiplatform_v1 import JobState\n"
        "A = JobState.JOB_STATE_DONE  # noqa: JS104\n"
        "B = JobState.JOB_STATE_DONE\n"
    )
    proc = flake8("--select", "JS", "--isolated", str(f))
    assert [ln.split(":")[1] for ln in proc.stdout.splitlines()] == ["3"]


def test_options_from_setup_cfg(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nselect = JS\njobstate-extra-modules = mypkg.states\njobstate-state-attributes = last_state=PipelineState\n"
    )
    (tmp_path / "m.py").write_text(
        "from mypkg.states import JobState\n"
        "X = JobState.JOB_STATE_DONE\n"
        "def f(run):\n"
        "    return run.last_state == 'PIPELINE_STATE_FAILED'\n"
    )
    proc = flake8("m.py", cwd=tmp_path)
    codes = [(ln.split(":")[1], ln.split(": ")[1].split()[0]) for ln in proc.stdout.splitlines()]
    assert codes == [("2", "JS104"), ("4", "JS102")], proc.stdout + proc.stderr


def test_bad_option_is_one_clear_line(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n")
    proc = flake8("--select", "JS", "--jobstate-terminal-states", "NOPE", "m.py", cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "jobstate-terminal-states" in proc.stderr


def test_syntax_error_does_not_break_flake8(tmp_path):
    (tmp_path / "bad.py").write_text("from google.cloud import aiplatform\nif (:\n")
    (tmp_path / "good.py").write_text(
        "from google.cloud.aiplatform_v1 import JobState\nX = JobState.JOB_STATE_DONE\nimport os\n"
    )
    proc = flake8("--select", "JS,E9,F401", "--isolated", "bad.py", "good.py", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("bad.py:") and "E999" in ln for ln in lines)
    assert any(ln.startswith("good.py:2:") and "JS104" in ln for ln in lines)
    assert any(ln.startswith("good.py:3:") and "F401" in ln for ln in lines)


def test_internal_error_yields_nothing(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("bug")

    from flake8_jobstate import engine

    monkeypatch.setattr(engine, "analyze_source", boom)  # the plugin imports the engine on first use
    plugin = flake8_plugin.Plugin(None, ["from google.cloud.aiplatform_v1 import JobState\n"], "x.py")
    assert list(plugin.run()) == []


def test_libcst_parse_error_yields_nothing(monkeypatch):
    from flake8_jobstate import engine

    def fail(source):
        raise engine.ParseError("unsupported syntax")

    monkeypatch.setattr(engine, "parse", fail)
    plugin = flake8_plugin.Plugin(None, ["from google.cloud.aiplatform_v1 import JobState\n"], "x.py")
    assert list(plugin.run()) == []


@pytest.mark.parametrize("source", ["", "\ufeffimport os\n", "x = 1\r\ny = 2\r\n"])
def test_odd_inputs(source):
    plugin = flake8_plugin.Plugin(None, source.splitlines(True), "x.py")
    assert list(plugin.run()) == []


def test_deep_expressions_under_a_small_stack(tmp_path):
    """A 300-term ``or`` chain with a finding: libcst's position metadata recurses deeply; nothing breaks."""
    chain = " or ".join(["job.state == 4"] * 300)
    f = tmp_path / "deep.py"
    f.write_text(f"from google.cloud import aiplatform\njob = aiplatform.CustomJob.get('n')\nif {chain}:\n    pass\n")
    code = "import sys; sys.setrecursionlimit(400); from flake8.main.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code, "--select", "JS", "--isolated", str(f)],
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 300
