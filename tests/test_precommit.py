"""The pre-commit hooks, run for real with ``pre-commit try-repo`` against a temporary git repository.

try-repo clones this repository (its HEAD plus uncommitted changes to tracked files) and pip-installs it into a
fresh environment: it needs network access to PyPI for flake8 and libcst. Skipped without pre-commit or git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"

BAD = """\
from google.cloud.aiplatform_v1 import JobServiceClient, JobState

job = JobServiceClient().get_custom_job(name="n")
if job.state == 4:
    print("done")
"""


def test_hooks_file():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"flake8-jobstate", "flake8-jobstate-fix"}
    assert hooks["flake8-jobstate"]["entry"] == "flake8-jobstate check"
    assert hooks["flake8-jobstate-fix"]["entry"] == "flake8-jobstate fix"
    for h in hooks.values():
        assert h["language"] == "python"
        assert h["types_or"] == ["python", "jupyter"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("pre-commit") is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git not installed")
    if not (ROOT / ".git").exists():
        pytest.skip("the project is not a git checkout")
    tracked = subprocess.run(["git", "ls-files", ".pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True)
    if not tracked.stdout.strip():
        pytest.skip(".pre-commit-hooks.yaml is not committed (try-repo only sees tracked files)")
    r = tmp_path / "repo"
    r.mkdir()
    _git(r, "init", "-q")
    _git(r, "config", "user.email", "t@example.com")
    _git(r, "config", "user.name", "t")
    (r / "job.py").write_text(BAD)
    (r / "ok.py").write_text("x = 1\n")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "init")
    return r


def _try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
        cwd=repo, capture_output=True, text=True, timeout=900, env=env,
    )


def test_hooks_run_with_try_repo(repo: Path, tmp_path: Path):
    home = tmp_path / "pre-commit-home"
    r = _try_repo(repo, "flake8-jobstate", home)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "job.py:4:17: JS101" in out
    r = _try_repo(repo, "flake8-jobstate-fix", home)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "files were modified by this hook" in out
    assert "job.state == JobState.JOB_STATE_SUCCEEDED" in (repo / "job.py").read_text()
    r = _try_repo(repo, "flake8-jobstate-fix", home)
    assert r.returncode == 0, r.stdout + r.stderr
    r = _try_repo(repo, "flake8-jobstate", home)
    assert r.returncode == 0, r.stdout + r.stderr
