"""Lazy imports: the front ends import only the prefilter up front; libcst, the resolver and the rules are
imported by the first file that passes it. Each case runs in a fresh interpreter and reads ``sys.modules``
(a behaviour test, not a timing test)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("libcst", "flake8_jobstate.engine", "flake8_jobstate.resolver", "flake8_jobstate.rules",
         "flake8_jobstate.codemod", "flake8_jobstate.notebook", "flake8_jobstate.project")

VERTEX = """\
from google.cloud.aiplatform_v1 import JobServiceClient, JobState

job = JobServiceClient().get_custom_job(name="n")
if job.state == 4:
    print("done")
"""
PLAIN = "import os\n\nstate = os.environ.get('STATE')\nprint(state)\n"


def _loaded(code: str, cwd: Path) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of HEAVY it left in sys.modules."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
        """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _plugin_run(source: str) -> str:
    return textwrap.dedent(f"""
        import ast
        from flake8_jobstate.flake8_plugin import Plugin
        src = {source!r}
        found = list(Plugin(ast.parse(src), src.splitlines(True), "x.py").run())
        """)


def test_plugin_import_and_prefilter_do_not_import_libcst(tmp_path: Path) -> None:
    assert _loaded(_plugin_run(PLAIN), tmp_path) == []


def test_plugin_imports_the_engine_for_a_file_that_passes(tmp_path: Path) -> None:
    # the control: the probe does see the heavy modules once there is something to analyse
    loaded = _loaded(_plugin_run(VERTEX) + "\nassert found, found\n", tmp_path)
    assert "libcst" in loaded and "flake8_jobstate.engine" in loaded


def test_prefilter_module_alone_is_light(tmp_path: Path) -> None:
    code = f"""
        from flake8_jobstate.prefilter import prefilter
        assert prefilter({VERTEX!r}) and not prefilter({PLAIN!r})
        """
    assert _loaded(code, tmp_path) == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["check", "--help"], ["fix", "--help"]])
def test_cli_help_and_version_import_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    code = f"""
        from flake8_jobstate.cli import main
        main({argv!r})
        """
    assert _loaded(code, tmp_path) == []


@pytest.mark.parametrize("command", [["check"], ["fix", "--diff"], ["check", "--no-cache"]])
def test_cli_on_files_that_fail_the_prefilter_imports_nothing_heavy(tmp_path: Path, command: list[str]) -> None:
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(PLAIN)
    code = f"""
        from flake8_jobstate.cli import main
        assert main({command + ["-j1", "."]!r}) == 0
        """
    assert _loaded(code, tmp_path) == []


def test_cli_warm_cache_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(VERTEX)
    (tmp_path / "plain.py").write_text(PLAIN)
    code = """
        from flake8_jobstate.cli import main
        assert main(["check", "-j1", "."]) == 1
        """
    assert "libcst" in _loaded(code, tmp_path)  # cold: analyses job.py
    assert _loaded(code, tmp_path) == []  # warm: every finding comes from the cache


def test_cli_on_a_vertex_file_imports_the_engine(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(VERTEX)
    code = """
        from flake8_jobstate.cli import main
        assert main(["check", "--no-cache", "-j1", "."]) == 1
        """
    assert "libcst" in _loaded(code, tmp_path)
