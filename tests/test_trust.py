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
