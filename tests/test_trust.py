"""Issue 9, as a user meets it on the command line: fix markers and the fix summary, input validation,
undecodable files, help and the rule command. (Every-fixture marker truth: tests/test_fix_truth.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import BAD, run, write

SDK_RESOURCE = """\
from google.cloud import aiplatform


def poll(name):
    if aiplatform.BatchPredictionJob.get(name).state == 5:
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


# ---------------------------------------------------------------------------------------------------------------
# 5. help and docs


def test_help_lists_syntax_formats_exit_codes_and_rule_docs(tmp_path: Path):
    for cmd in ("check", "fix"):
        text = " ".join(run([cmd, "--help"], tmp_path).stdout.split())
        for want in ("--extra-modules MODULE[=v1beta1],...", "--state-attributes NAME[=ENUM],...",
                     "--terminal-states STATE,...", "exit codes: 0", "2 usage, configuration", "docs/rules.md",
                     "flake8-jobstate rule CODE"):
            assert want in text, (cmd, want)
    text = " ".join(run(["check", "--help"], tmp_path).stdout.split())
    assert "--format {text,json,sarif,github}" in text and "sarif: SARIF 2.1.0" in text
    assert "docs/rules.md" in run(["--help"], tmp_path).stdout


def test_rule_command_prints_the_rule_page(tmp_path: Path):
    from flake8_jobstate.docs import rule_page, rules_md
    from flake8_jobstate.rules import iter_rules

    rules = {r.code: r for r in iter_rules()}
    r = run(["rule", "JS202"], tmp_path)
    assert r.returncode == 0
    assert r.stdout == "\n".join(rule_page(rules["JS202"])).rstrip() + "\n"
    assert r.stdout.startswith("## JS202 wait-loop-misses-terminal-state\n") and r.stdout in rules_md()
    assert run(["rule", "--all"], tmp_path).stdout.count("\n## JS") == len(rules) - 1
    bad = run(["rule", "JS999"], tmp_path)
    assert bad.returncode == 2 and "JS999" in bad.stderr


def test_facts_doc_is_fresh():
    from flake8_jobstate.facts_doc import DEFAULT_PATH, render

    assert DEFAULT_PATH.read_text(encoding="utf-8") == render(), "run python -m flake8_jobstate.facts_doc"


def test_no_file_refers_outside_the_repository():
    import subprocess

    from expectations import ROOT

    # (benchmark results record the interpreter they ran with; that is a measurement, not a reference)
    for needle in ("shared/", "briefs/", "/work/main", "/work/wt/", "/work/corpus"):
        out = subprocess.run(["git", "grep", "-n", "-I", needle, "--", ".", ":!tests/test_trust.py"], cwd=ROOT,
                             capture_output=True, text=True).stdout
        assert out == "", out


def test_readme_after_example_is_clean():
    import re

    from expectations import ROOT
    from flake8_jobstate.engine import analyze_source

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = re.findall(r"```python\n(.*?)```", readme, re.S)[1]
    assert "import" in after and "while" in after
    assert [f.text for f in analyze_source(after)] == []


def test_precommit_snippets_work_when_copied():
    import re

    yaml = __import__("pytest").importorskip("yaml")
    from expectations import ROOT

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for doc in ("README.md", "docs/usage.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "OWNER" not in text and "rev: v0" not in text, doc
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
            if "repos:" not in block:
                continue
            for repo in yaml.safe_load(block)["repos"]:
                if repo["repo"] == "local":
                    for h in repo["hooks"]:
                        assert h["entry"] == hooks[h["id"]]["entry"] and h["language"] == "system"
                elif "flake8-jobstate" in repo["repo"]:
                    assert re.fullmatch(r"[0-9a-f]{40}", repo["rev"]), repo["rev"]  # a commit SHA, not a tag
                    assert {h["id"] for h in repo["hooks"]} <= set(hooks)


def test_sarif_notebook_results_carry_cell_and_line(tmp_path: Path):
    """docs/usage.md: the cell and the position within it are in the message (`cell_3:2:17: ...`)."""
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": ["from google.cloud.aiplatform_v1 import JobServiceClient\n",
                                "job = JobServiceClient().get_custom_job(name='n')\n", "ok = job.state == 4\n"]}],
          "metadata": {"kernelspec": {"language": "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path / "nb.ipynb", json.dumps(nb, indent=1))
    doc = json.loads(run(["check", "--format", "sarif", "nb.ipynb"], tmp_path).stdout)
    (res,) = doc["runs"][0]["results"]
    assert res["message"]["text"].startswith("cell_1:3:19: raw int 4")
    assert res["properties"]["cell"] == 1 and res["properties"]["lineInCell"] == 3
