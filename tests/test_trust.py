"""Issue 9, as a user meets it on the command line: fix markers and the fix summary, input validation,
undecodable files, help and the rule command. (Every-fixture marker truth: tests/test_fix_truth.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import BAD, run, write

SDK_RESOURCE = """\
from google.cloud import aiplatform


def poll(name):
    if aiplatform.CustomJob.get(name).state == 5:
        print("failed")
"""


# ---------------------------------------------------------------------------------------------------------------
# 1. one truth about fixes


def test_no_fix_promise_where_fix_leaves_the_finding(tmp_path: Path):
    p = write(tmp_path / "sdk.py", SDK_RESOURCE)
    r = run(["check", "sdk.py"], tmp_path)
    assert r.returncode == 1
    assert r.stdout.rstrip().endswith("use JobState.JOB_STATE_FAILED"), r.stdout
    assert "fix" not in r.stdout
    for args in (["fix", "sdk.py"], ["fix", "--unsafe-fixes", "sdk.py"], ["fix", "--check", "sdk.py"]):
        r = run(args, tmp_path)
        assert r.returncode == 0, (args, r.stderr)
        assert " 1 left: JS101 1 left (no fix)" in r.stderr
    assert p.read_text() == SDK_RESOURCE


def test_markers_say_what_fix_does(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    r = run(["check", "bad.py"], tmp_path)
    lines = r.stdout.splitlines()
    assert lines[0].endswith("use JobState.JOB_STATE_SUCCEEDED (fix available)"), lines
    assert lines[1].endswith("(unsafe fix available)"), lines
    doc = json.loads(run(["check", "--format", "json", "bad.py"], tmp_path).stdout)
    assert [(f["code"], f["fix"]) for f in doc["findings"]] == [("JS101", "safe"), ("JS102", "unsafe")]
    assert doc["findings"][0]["message"].endswith("(fix available)")
    sarif = json.loads(run(["check", "--format", "sarif", "bad.py"], tmp_path).stdout)
    assert [x["properties"]["fix"] for x in sarif["runs"][0]["results"]] == ["safe", "unsafe"]


def test_fix_summary_and_check_exit(tmp_path: Path):
    p = write(tmp_path / "bad.py", BAD)
    r = run(["fix", "--check", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert "1 would be fixed, 1 left: JS101 1 would be fixed; JS102 1 left (unsafe fix available: --unsafe-fixes)" in r.stderr
    r = run(["fix", "bad.py"], tmp_path)
    assert r.returncode == 1
    assert "1 fixed, 1 left: JS101 1 fixed; JS102 1 left (unsafe fix available: --unsafe-fixes)" in r.stderr
    r = run(["fix", "--check", "bad.py"], tmp_path)  # only the unsafe fix remains: nothing `fix` would do
    assert r.returncode == 0
    r = run(["fix", "--check", "--unsafe-fixes", "bad.py"], tmp_path)
    assert r.returncode == 1
    r = run(["fix", "--unsafe-fixes", "bad.py"], tmp_path)
    assert "1 fixed, 0 left: JS102 1 fixed" in r.stderr
    assert run(["check", "bad.py"], tmp_path).returncode == 0
    assert "JobState.JOB_STATE_FAILED" in p.read_text()


# ---------------------------------------------------------------------------------------------------------------
# 4. user mistakes: one line naming the flag or the file and key, exit 2, never an internal error


def _one_error(r, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "internal error" not in r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def _pyproject(folder: Path, body: str) -> Path:
    return write(folder / "pyproject.toml", "[tool.flake8-jobstate]\n" + body)


def test_config_types_name_the_file_and_key(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    for body, key in (("extra-modules = 3\n", "extra-modules"), ('extra-modules = ["a", 3]\n', "extra-modules"),
                      ("state-attributes = {a = 1}\n", "state-attributes"), ("exclude = 3\n", "exclude"),
                      ("terminal-states = 1.5\n", "terminal-states"), ('max-file-size = "big"\n', "max-file-size"),
                      ("cache-dir = 3\n", "cache-dir"), ('unsafe-fixes = "yes"\n', "unsafe-fixes")):
        toml = _pyproject(tmp_path, body)
        for cmd in ("check", "fix"):
            _one_error(run([cmd, "bad.py"], tmp_path), str(toml), key)


def test_unknown_codes_are_errors(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    for args, words in ((["--select", "JS999"], ["--select", "JS999"]), (["--select", "XYZ"], ["--select", "XYZ"]),
                        (["--ignore", "JS101,JS3"], ["--ignore", "JS3"]), (["--extend-ignore", "JS9"], ["JS9"])):
        _one_error(run(["check", *args, "bad.py"], tmp_path), *words)
    toml = _pyproject(tmp_path, 'select = ["JS999"]\n')
    _one_error(run(["check", "bad.py"], tmp_path), str(toml), "select", "JS999")
    toml.unlink()
    # known codes and prefixes stay fine
    assert run(["check", "--select", "JS1", "--ignore", "JS102", "bad.py"], tmp_path).returncode == 1


def test_terminal_states_only_states_that_end_a_job(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    for state in ("RUNNING", "QUEUED", "UNSPECIFIED", "JOB_STATE_PENDING"):
        _one_error(run(["check", "--terminal-states", state, "bad.py"], tmp_path), "--terminal-states", state)
    for state in ("PAUSED", "JOB_STATE_EXPIRED", "succeeded"):
        assert run(["check", "--terminal-states", state, "bad.py"], tmp_path).returncode == 1, state
    toml = _pyproject(tmp_path, 'terminal-states = ["RUNNING"]\n')
    _one_error(run(["check", "bad.py"], tmp_path), str(toml), "terminal-states", "RUNNING")


def test_output_file_and_stdin_filename_mistakes(tmp_path: Path):
    write(tmp_path / "bad.py", BAD)
    _one_error(run(["check", "-o", "/nonexistent/dir/out.txt", "bad.py"], tmp_path), "--output-file",
               "/nonexistent/dir/out.txt")
    _one_error(run(["check", "-o", str(tmp_path), "bad.py"], tmp_path), "--output-file")
    _one_error(run(["check", "--stdin-filename", "x.py", "bad.py"], tmp_path), "--stdin-filename", "'-'")
    _one_error(run(["fix", "--stdin-filename", "x.py"], tmp_path), "--stdin-filename")


def test_syntax_error_on_pythons_line(tmp_path: Path):
    write(tmp_path / "syn.py", "from google.cloud import aiplatform_v1\nx = (1,\n     2\n"
                               "y = aiplatform_v1.JobState.JOB_STATE_SUCCEEDED\n")
    try:
        compile((tmp_path / "syn.py").read_text(), "syn.py", "exec")
    except SyntaxError as e:
        want = f"syn.py: error: cannot parse: {e.msg} (line {e.lineno})"
    r = run(["check", "syn.py"], tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == want


LATIN = b"# caf\xe9\n" + BAD.encode()


def test_undecodable_file_skipped_alike_by_cli_and_flake8(tmp_path: Path):
    import subprocess
    import sys

    (tmp_path / "latin.py").write_bytes(LATIN)
    r = run(["check", "latin.py"], tmp_path)
    reason = "skipped: cannot decode as utf-8: invalid continuation byte at byte 5 (and no PEP 263 coding cookie)"
    assert r.returncode == 2 and r.stdout == "" and r.stderr.strip() == f"latin.py: error: {reason}"
    assert run(["fix", "latin.py"], tmp_path).stderr.strip() == f"latin.py: error: {reason}"
    assert (tmp_path / "latin.py").read_bytes() == LATIN
    doc = json.loads(run(["check", "--format", "json", "latin.py"], tmp_path).stdout)
    assert doc["errors"] == [{"path": "latin.py", "message": reason}]
    f8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "JS,E9", "latin.py"], cwd=tmp_path,
                        capture_output=True, text=True)
    assert f8.returncode == 0 and f8.stdout == "", (f8.stdout, f8.stderr)
    assert f8.stderr.strip() == f"flake8-jobstate: latin.py: {reason}"  # the same reason, flake8's exit code
    # with a coding cookie both analyse it
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\n" + LATIN)
    assert run(["check", "latin.py"], tmp_path).returncode == 1
    f8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "JS", "latin.py"], cwd=tmp_path,
                        capture_output=True, text=True)
    assert f8.returncode == 1 and f8.stderr == ""
