"""The standalone CLI, run as a subprocess: exit codes, formats, selection, noqa, config, excludes, fix modes,
encodings, errors. (Notebooks: tests/test_notebook.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from expectations import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
GOLDEN = FIXTURES / "codemod"

BAD = """\
from google.cloud.aiplatform_v1 import JobServiceClient, JobState

job = JobServiceClient().get_custom_job(name="n")
if job.state == 4:
    print("done")
if job.state == "JOB_STATE_FAILED":
    print("failed")
"""

CLEAN = """\
from google.cloud.aiplatform_v1 import JobServiceClient, JobState

job = JobServiceClient().get_custom_job(name="n")
if job.state == JobState.JOB_STATE_SUCCEEDED:
    print("done")
"""

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>JS\d{3}) (?P<msg>.+)$")


def run(args: list[str], cwd: Path, stdin: Optional[bytes] = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "flake8_jobstate.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
    )
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------------------------
# exit codes and the text format


def test_exit_codes(tmp_path: Path):
    write(tmp_path / "clean.py", CLEAN)
    write(tmp_path / "bad.py", BAD)
    assert run(["check", "clean.py"], tmp_path).returncode == 0
    r = run(["check", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("bad.py:4:17: JS101 ")
    assert run(["check", "--exit-zero", "bad.py"], tmp_path).returncode == 0


def test_same_lines_as_flake8(tmp_path: Path):
    """The CLI prints exactly what ``flake8 --select JS`` prints (flake8's own noqa handling included)."""
    write(tmp_path / "bad.py", BAD + "if job.state == 5:  # noqa: JS101\n    pass\nif job.state == 3:  # noqa:E501\n    pass\n")
    for golden in sorted(GOLDEN.glob("*.before.py")):
        shutil.copy(golden, tmp_path / golden.name.replace(".before", ""))
    ours = run(["check", "--isolated", "."], tmp_path)
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "JS", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert flake8.returncode == 1, flake8.stderr
    assert sorted(ours.stdout.splitlines()) == sorted(flake8.stdout.splitlines())
    assert ours.stdout.count("\n") > 10


def test_usage_errors_are_one_line(tmp_path: Path):
    for args in (["check", "--no-such-option"], ["frobnicate"], [], ["check", "--format", "xml", "."],
                 ["check", "-j", "0", "."], ["check", "--select", "not a code", "."]):
        r = run(args, tmp_path)
        assert r.returncode == 2, args
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert "error" in r.stderr


def test_missing_path(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    r = run(["check", "nope.py", "bad.py"], tmp_path)
    assert r.returncode == 2
    assert "nope.py: error: no such file or directory" in r.stderr
    assert "bad.py:4:17: JS101" in r.stdout


# ---------------------------------------------------------------------------------------------------------------
# formats


def test_json_format(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    r = run(["check", "--format", "json", "bad.py"], tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [f["code"] for f in doc["findings"]] == ["JS101", "JS102"]
    first = doc["findings"][0]
    assert first == {**first, "path": "bad.py", "line": 4, "column": 17, "fix": "safe"}
    assert doc["findings"][1]["fix"] == "unsafe"
    assert doc["errors"] == []


def _sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_sarif_format_is_valid(tmp_path: Path):
    write(tmp_path / "pkg" / "bad.py", BAD)
    write(tmp_path / "broken.py", "from google.cloud.aiplatform_v1 import JobState\nJobState\ndef (:\n")
    r = run(["check", "--format", "sarif", "."], tmp_path)
    assert r.returncode == 2  # the parse error wins, but the report is complete
    doc = json.loads(r.stdout)
    errors = sorted(_sarif_validator().iter_errors(doc), key=str)
    assert not errors, [e.message for e in errors[:5]]
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "JS101" in ids and "JS102" in ids
    for rule in rules:
        assert re.fullmatch(r"JS\d{3}", rule["id"]) and rule["name"] and rule["shortDescription"]["text"]
    results = run0["results"]
    assert [x["ruleId"] for x in results] == ["JS101", "JS102"]
    for x in results:
        assert rules[x["ruleIndex"]]["id"] == x["ruleId"]
        loc = x["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "pkg/bad.py"
        assert loc["region"]["startLine"] in (4, 6) and loc["region"]["startColumn"] >= 1
        assert x["level"] in ("error", "warning", "note")
    notes = run0["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "broken.py" in notes[0]["message"]["text"]
    assert run0["invocations"][0]["executionSuccessful"] is False


def test_sarif_clean_run_is_valid(tmp_path: Path):
    write(tmp_path / "clean.py", CLEAN)
    r = run(["check", "--format", "sarif", "clean.py"], tmp_path)
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert not list(_sarif_validator().iter_errors(doc))
    assert doc["runs"][0]["results"] == []


def test_github_format(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    r = run(["check", "--format", "github", "bad.py"], tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("::error file=bad.py,line=4,col=17,title=JS101::raw int 4")
    assert all(re.match(r"^::error file=[^,]+,line=\d+,col=\d+,title=JS\d{3}::\S", ln) for ln in lines)
    # workflow-command escaping: no raw newline or % in the data part
    assert all("\n" not in ln for ln in lines)


def test_output_file(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    r = run(["check", "--format", "json", "-o", "report.json", "bad.py"], tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert json.loads((tmp_path / "report.json").read_text())["findings"]


# ---------------------------------------------------------------------------------------------------------------
# selection and noqa


def test_select_and_ignore(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)

    def codes(*args: str) -> list[str]:
        return [LINE.match(ln).group("code") for ln in run(["check", *args, "bad.py"], tmp_path).stdout.splitlines()]

    assert codes() == ["JS101", "JS102"]
    assert codes("--select", "JS102") == ["JS102"]
    assert codes("--ignore", "JS1") == []
    assert codes("--ignore", "JS101") == ["JS102"]
    assert codes("--select", "JS101", "--ignore", "JS1") == ["JS101"]  # the longer prefix wins
    assert codes("--select", "JS1", "--ignore", "JS1") == []  # a tie ignores
    # a code no rule has is a mistake (a typo must not switch the tool off), not an empty selection
    r = run(["check", "--select", "E,W", "bad.py"], tmp_path)
    assert r.returncode == 2 and "--select: unknown rule codes E, W" in r.stderr


NOQA = """\
from google.cloud.aiplatform_v1 import JobServiceClient

job = JobServiceClient().get_custom_job(name="n")
a = job.state == 4  # noqa
b = job.state == 4  # noqa: JS101
c = job.state == 4  # noqa:JS101,E501
d = job.state == 4  # noqa: JS1
e = job.state == 4  # noqa: E501
f = job.state == 4  # NOQA : E501
g = job.state == 4  # noqa: js101
h = job.state == 4  #noqa
i = job.state == 4  # noqa: JS102
j = job.state == '''multi
line'''  # noqa
"""


def test_noqa_semantics_match_flake8(tmp_path: Path):
    write(tmp_path / "n.py", NOQA)
    r = run(["check", "n.py"], tmp_path)
    lines = [int(LINE.match(ln).group("line")) for ln in r.stdout.splitlines()]
    # reported: noqa for another code (8), lower-case code (10: not a blanket either), "#noqa" without the
    # space (11: flake8 requires "# noqa"), another code of ours (12). "# NOQA : E501" is a blanket noqa.
    assert lines == [8, 10, 11, 12]
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "JS", "n.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert flake8.stdout == r.stdout


def test_file_level_noqa(tmp_path: Path):
    write(tmp_path / "bad.py", "# flake8: noqa\n" + BAD)
    r = run(["check", "bad.py"], tmp_path)
    assert r.returncode == 0 and r.stdout == ""


# ---------------------------------------------------------------------------------------------------------------
# configuration


def test_pyproject_config(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.flake8-jobstate]\nignore = ["JS102"]\n'
          'state-attributes = "current_state"\n')
    write(tmp_path / "src" / "bad.py", BAD + "\n\ndef f(run):\n    return run.current_state == 4\n")
    r = run(["check", "src"], tmp_path)
    codes = [LINE.match(ln).group("code") + ":" + LINE.match(ln).group("line") for ln in r.stdout.splitlines()]
    assert codes == ["JS101:4", "JS101:11"]
    # found from a subfolder too, and the command line wins over the file
    r = run(["check", "--ignore", "JS101", "bad.py"], tmp_path / "src")
    assert [LINE.match(ln).group("code") for ln in r.stdout.splitlines()] == ["JS102"]
    # --isolated ignores it
    r = run(["check", "--isolated", "bad.py"], tmp_path / "src")
    assert [LINE.match(ln).group("code") for ln in r.stdout.splitlines()] == ["JS101", "JS102"]


def test_pyproject_flake8_option_names_accepted(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.flake8-jobstate]\njobstate-state-attributes = ["current_state"]\n')
    write(tmp_path / "a.py", "def f(run):\n    return run.current_state == 4\n")
    assert run(["check", "a.py"], tmp_path).returncode == 1


@pytest.mark.parametrize(
    "table",
    ['unknown-key = 1', 'select = 5', 'terminal-states = ["NOT_A_STATE"]', 'select = ["lower"]', "this is not toml"],
)
def test_bad_config_is_one_line(tmp_path: Path, table: str):
    write(tmp_path / "pyproject.toml", f"[tool.flake8-jobstate]\n{table}\n")
    write(tmp_path / "a.py", CLEAN)
    r = run(["check", "a.py"], tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# ---------------------------------------------------------------------------------------------------------------
# excludes


def test_excludes(tmp_path: Path):
    for d in ("pkg", "build", ".venv/lib", "pkg/__pycache__", "gen"):
        write(tmp_path / d / "bad.py", BAD)
    write(tmp_path / "pyproject.toml", '[tool.flake8-jobstate]\nextend-exclude = ["gen"]\n')
    r = run(["check", "."], tmp_path)
    assert sorted({LINE.match(ln).group("path") for ln in r.stdout.splitlines()}) == ["./pkg/bad.py"]
    # explicitly named files in excluded folders are excluded too (pre-commit passes every staged file)
    r = run(["check", "build/bad.py", "gen/bad.py", ".venv/lib/bad.py", "pkg/bad.py"], tmp_path)
    assert sorted({LINE.match(ln).group("path") for ln in r.stdout.splitlines()}) == ["pkg/bad.py"]
    # --exclude replaces the defaults
    r = run(["check", "--exclude", "pkg", "."], tmp_path)
    paths = sorted({LINE.match(ln).group("path") for ln in r.stdout.splitlines()})
    assert "./build/bad.py" in paths and "./pkg/bad.py" not in paths
    # a path glob
    r = run(["check", "--extend-exclude", "pkg/*.py", "pkg/bad.py"], tmp_path)
    assert r.returncode == 0 and r.stdout == ""


def test_running_inside_a_folder_named_like_an_exclude(tmp_path: Path):
    write(tmp_path / "build" / "proj" / "bad.py", BAD)
    r = run(["check", "bad.py"], tmp_path / "build" / "proj")
    assert r.returncode == 1


# ---------------------------------------------------------------------------------------------------------------
# stdin


def test_stdin(tmp_path: Path):
    r = run(["check", "-"], tmp_path, stdin=BAD.encode())
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("stdin:4:17: JS101")
    r = run(["check", "--stdin-filename", "src/job.py", "-"], tmp_path, stdin=BAD.encode())
    assert r.stdout.splitlines()[0].startswith("src/job.py:4:17: JS101")
    r = run(["fix", "-"], tmp_path, stdin=BAD.encode())
    assert r.returncode == 1
    assert "job.state == JobState.JOB_STATE_SUCCEEDED" in r.stdout
    assert 'job.state == "JOB_STATE_FAILED"' in r.stdout  # unsafe: not without the flag
    r = run(["fix", "--unsafe-fixes", "--diff", "-"], tmp_path, stdin=BAD.encode())
    assert r.returncode == 1
    assert '+if job.state == JobState.JOB_STATE_FAILED:' in r.stdout
    r = run(["fix", "-"], tmp_path, stdin=CLEAN.encode())
    assert r.returncode == 0 and r.stdout == CLEAN
    r = run(["check", "-", "a.py"], tmp_path, stdin=b"")
    assert r.returncode == 2


# ---------------------------------------------------------------------------------------------------------------
# fix


def test_fix_modes(tmp_path: Path):
    p = write(tmp_path / "bad.py", BAD)
    r = run(["fix", "--diff", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert r.stdout.startswith("--- a/bad.py\n+++ b/bad.py\n")
    assert "-if job.state == 4:\n+if job.state == JobState.JOB_STATE_SUCCEEDED:\n" in r.stdout
    assert p.read_text() == BAD
    r = run(["fix", "--check", "bad.py"], tmp_path)
    assert r.returncode == 1 and "would fix bad.py" in r.stdout
    assert p.read_text() == BAD
    r = run(["fix", "bad.py"], tmp_path)
    assert r.returncode == 1
    fixed = p.read_text()
    assert "if job.state == JobState.JOB_STATE_SUCCEEDED:" in fixed
    assert 'if job.state == "JOB_STATE_FAILED":' in fixed
    # idempotent: nothing left to do
    for args in (["fix", "bad.py"], ["fix", "--check", "bad.py"], ["fix", "--diff", "bad.py"]):
        r = run(args, tmp_path)
        assert r.returncode == 0 and r.stdout == "", args
    assert p.read_text() == fixed
    r = run(["fix", "--unsafe-fixes", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert "if job.state == JobState.JOB_STATE_FAILED:" in p.read_text()
    assert run(["check", "bad.py"], tmp_path).returncode == 0


def test_fix_then_check_leaves_no_js101_on_golden_inputs(tmp_path: Path):
    for golden in sorted(GOLDEN.glob("*.before.py")):
        shutil.copy(golden, tmp_path / golden.name.replace(".before", ""))
    assert run(["fix", "."], tmp_path).returncode == 1
    r = run(["check", "--select", "JS101", "."], tmp_path)
    left = [ln for ln in r.stdout.splitlines() if "noqa_kept" not in ln]
    assert [ln for ln in left if "(fix available)" in ln] == []  # what is left, fix cannot change
    assert run(["fix", "."], tmp_path).returncode == 0


def test_fix_keeps_crlf_bom_encoding_and_mode(tmp_path: Path):
    crlf = write(tmp_path / "crlf.py", BAD, newline="\r\n")
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    latin = tmp_path / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD).encode("latin-1"))
    os.chmod(crlf, 0o750)
    r = run(["fix", "crlf.py", "bom.py", "latin.py"], tmp_path)
    assert r.returncode == 1, r.stderr
    data = crlf.read_bytes()
    assert b"JobState.JOB_STATE_SUCCEEDED:\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o750
    data = bom.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"JobState.JOB_STATE_SUCCEEDED" in data
    data = latin.read_bytes()
    assert b"# caf\xe9\n" in data and b"JobState.JOB_STATE_SUCCEEDED" in data
    # and check reads them all correctly
    assert run(["check", "--select", "JS101", "crlf.py", "bom.py", "latin.py"], tmp_path).returncode == 0


def test_fix_follows_symlinks(tmp_path: Path):
    target = write(tmp_path / "real.py", BAD)
    link = tmp_path / "link.py"
    link.symlink_to(target.name)
    assert run(["fix", "link.py"], tmp_path).returncode == 1
    assert link.is_symlink()
    assert "JOB_STATE_SUCCEEDED" in target.read_text()


def test_fix_failure_leaves_file_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In-process: a fixer that produced code which does not parse must not be written."""
    from flake8_jobstate import codemod, files
    from flake8_jobstate.settings import Settings

    p = write(tmp_path / "bad.py", BAD)
    monkeypatch.setattr(codemod, "fix_code", lambda src, *a, **k: (src.replace("if job", "if (job"), [], []))
    res = files.fix_file(str(p), Settings(root=str(tmp_path)))
    assert res.errors and "left untouched" in res.errors[0]
    assert not res.changed
    assert p.read_text() == BAD
    assert [q.name for q in tmp_path.iterdir()] == ["bad.py"]  # no temporary file left behind


# ---------------------------------------------------------------------------------------------------------------
# errors: unreadable, undecodable, unparsable; other files are still reported


def test_errors_do_not_stop_other_files(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    (tmp_path / "latin_no_cookie.py").write_bytes(b"x = '\xe9'\n")
    write(tmp_path / "syntax.py", "from google.cloud import aiplatform\nJobState = 1\ndef broken(:\n")
    (tmp_path / "dangling.py").symlink_to("does-not-exist.py")
    r = run(["check", "."], tmp_path)
    assert r.returncode == 2
    assert "./bad.py:4:17: JS101" in r.stdout
    err = r.stderr.splitlines()
    assert any(ln.startswith("./latin_no_cookie.py: error: skipped: cannot decode as utf-8") for ln in err), err
    assert any(ln.startswith("./syntax.py: error: cannot parse") for ln in err), err
    assert any(ln.startswith("./dangling.py: error: no such file") for ln in err), err
    assert len(err) == 3
    # fix: the good file is fixed, the others untouched, exit 2
    r = run(["fix", "."], tmp_path)
    assert r.returncode == 2
    assert "JOB_STATE_SUCCEEDED" in (tmp_path / "bad.py").read_text()
    assert (tmp_path / "latin_no_cookie.py").read_bytes() == b"x = '\xe9'\n"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a mode-000 file")
def test_unreadable_file(tmp_path: Path):
    p = write(tmp_path / "secret.py", BAD)
    write(tmp_path / "bad.py", BAD)
    os.chmod(p, 0)
    try:
        r = run(["check", "secret.py", "bad.py"], tmp_path)
    finally:
        os.chmod(p, 0o644)
    assert r.returncode == 2
    assert "secret.py: error: permission denied" in r.stderr
    assert "bad.py:4:17: JS101" in r.stdout


def test_directory_named_like_a_file(tmp_path: Path):
    (tmp_path / "weird.py").mkdir()
    write(tmp_path / "weird.py" / "inner.py", BAD)
    r = run(["check", "weird.py"], tmp_path)
    assert r.returncode == 1 and "weird.py/inner.py:4:17" in r.stdout


# ---------------------------------------------------------------------------------------------------------------
# parallel runs are deterministic


def test_parallel_output_is_ordered_and_equal_to_serial(tmp_path: Path):
    for i in range(40):
        write(tmp_path / f"m{i:02d}.py", BAD if i % 3 == 0 else CLEAN)
    serial = run(["check", "-j", "1", "."], tmp_path)
    parallel = run(["check", "-j", "2", "."], tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    paths = [LINE.match(ln).group("path") for ln in parallel.stdout.splitlines()]
    assert paths == sorted(paths) and len(set(paths)) == 14
    r = run(["fix", "-j", "2", "--check", "."], tmp_path)
    assert r.returncode == 1 and r.stdout.count("would fix") == 14
