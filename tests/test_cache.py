"""The CLI's persistent cache (cache.py, reads.py): results from the cache are identical to a cold run, and
an entry is not used once anything it depends on has changed (the file, a sibling module it read, the
configuration, the tool)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from expectations import FIXTURES, fixture_files

from flake8_jobstate import cache as cache_mod
from flake8_jobstate import cli, files, reads

_CONFIG = re.compile(r"^#\s*jobstate-config:\s*(.*)$", re.M)
_OPTION = {"extra_modules": "--extra-modules", "state_attributes": "--state-attributes",
           "terminal_states": "--terminal-states"}


def _options(source: str) -> list[str]:
    """The fixture's ``# jobstate-config:`` header as CLI options."""
    m = _CONFIG.search(source)
    out: list[str] = []
    for part in (m.group(1).split(";") if m else []):
        if "=" in part:
            k, v = part.split("=", 1)
            out += [_OPTION[k.strip()], v.strip()]
    return out


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one in-process CLI run."""
    code = cli.main([argv[0], "-j1", *argv[1:]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_engine(monkeypatch):
    """From here on, any analysis is an error: what is reported must come from the cache."""

    def boom(*a, **k):
        raise AssertionError("analysed although cached")

    def arm() -> None:
        monkeypatch.setattr(files, "raw_findings", boom)

    return arm


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_warm_check_equals_cold_on_every_fixture(path: Path, tmp_path: Path, capsys, no_engine) -> None:
    argv = ["check", "--format", "json", "--isolated", "--cache-dir", str(tmp_path / "c"), "--select", "JS",
            *_options(path.read_text(encoding="utf-8")), str(path)]
    cold = _run(capsys, *argv)
    nocache = _run(capsys, *argv[:-1], "--no-cache", str(path))
    no_engine()
    warm = _run(capsys, *argv)
    assert warm == cold == nocache
    assert json.loads(cold[1]) is not None


def test_warm_fix_equals_cold_on_the_codemod_goldens(tmp_path: Path, capsys) -> None:
    tree = tmp_path / "t"
    shutil.copytree(FIXTURES / "codemod", tree)
    for unsafe in ([], ["--unsafe-fixes"]):
        argv = ["fix", "--diff", "--isolated", "--cache-dir", str(tmp_path / "c"), *unsafe, str(tree)]
        cold = _run(capsys, *argv)
        warm = _run(capsys, *argv)
        assert cold == warm == _run(capsys, *argv, "--no-cache")
        assert cold[0] == 1 and "+++" in cold[1]


def test_fix_reports_what_is_left_from_the_cache(tmp_path: Path, capsys, no_engine) -> None:
    # findings without a (safe) fix are listed as left by fix; a warm run must list the same from the cache
    tree = tmp_path / "t"
    shutil.copytree(FIXTURES / "machine", tree)
    argv = ["fix", "--check", "--isolated", "--cache-dir", str(tmp_path / "c"), str(tree)]
    cold = _run(capsys, *argv)
    assert "left" in cold[2]
    warm = _run(capsys, *argv)
    assert warm == cold == _run(capsys, *argv, "--no-cache")


def test_fix_skips_files_the_cache_knows_are_clean(tmp_path: Path, capsys, no_engine) -> None:
    tree = tmp_path / "t"
    shutil.copytree(FIXTURES / "negative", tree)
    argv = ["fix", "--diff", "--isolated", "--cache-dir", str(tmp_path / "c"), str(tree)]
    cold = _run(capsys, *argv)
    no_engine()
    assert _run(capsys, *argv) == cold
    assert cold[:2] == (0, "")


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "consts.py").write_text(
        "from google.cloud.aiplatform_v1 import JobState\n"
        "DONE = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)\n"
    )
    (pkg / "job.py").write_text(
        "import time\n"
        "from google.cloud.aiplatform_v1 import JobServiceClient\n"
        "from .consts import DONE\n"
        "\n"
        "def wait(client: JobServiceClient, name: str) -> None:\n"
        "    job = client.get_custom_job(name=name)\n"
        "    while job.state not in DONE:\n"
        "        time.sleep(10)\n"
        "        job = client.get_custom_job(name=name)\n"
    )
    return pkg


def _codes(out: str, name: str) -> list[str]:
    return [f["code"] for f in json.loads(out)["findings"] if f["path"].endswith(name)]


def test_editing_a_sibling_module_changes_the_dependent_files_findings(tmp_path: Path, capsys,
                                                                        monkeypatch) -> None:
    pkg = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--format", "json", "pkg"]
    _, out, _ = _run(capsys, *argv)
    assert _codes(out, "job.py") == ["JS202"]
    assert (tmp_path / cache_mod.DIR_NAME).is_dir()  # next to pyproject.toml
    (pkg / "consts.py").write_text(
        "from google.cloud.aiplatform_v1 import JobState\n"
        "DONE = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED,\n"
        "        JobState.JOB_STATE_EXPIRED, JobState.JOB_STATE_PARTIALLY_SUCCEEDED)\n"
    )
    _, warm, _ = _run(capsys, *argv)
    _, cold, _ = _run(capsys, *argv, "--no-cache")
    assert _codes(warm, "job.py") == _codes(cold, "job.py") == []


def test_a_module_that_appears_changes_how_an_import_resolves(tmp_path: Path, capsys, monkeypatch) -> None:
    pkg = _project(tmp_path)
    (pkg / "consts.py").unlink()
    monkeypatch.chdir(tmp_path)
    argv = ["check", "--format", "json", "pkg/job.py"]
    _, out, _ = _run(capsys, *argv)
    assert _codes(out, "job.py") == []  # DONE unknown: silent
    (pkg / "consts.py").write_text(
        "from google.cloud.aiplatform_v1 import JobState\n"
        "DONE = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)\n"
    )
    _, out, _ = _run(capsys, *argv)
    assert _codes(out, "job.py") == ["JS202"]


def test_the_configuration_is_part_of_the_key(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "m.py").write_text(
        "from google.cloud import aiplatform\n\n"
        "def done(run) -> bool:\n"
        "    return run.current_state == 4\n"
    )
    monkeypatch.chdir(tmp_path)
    plain = _run(capsys, "check", "m.py")
    configured = _run(capsys, "check", "--state-attributes", "current_state", "m.py")
    assert plain[:2] == (0, "")
    assert configured[0] == 1 and "JS101" in configured[1]
    assert _run(capsys, "check", "m.py") == plain
    assert len(list((tmp_path / cache_mod.DIR_NAME).glob("*.json"))) == 2


def test_max_file_size_is_part_of_the_key(tmp_path: Path, capsys, monkeypatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    analysed = _run(capsys, "check", "pkg/job.py")
    assert analysed[0] == 1 and "JS202" in analysed[1]
    skipped = _run(capsys, "check", "--max-file-size", "20", "pkg/job.py")
    assert skipped == _run(capsys, "check", "--no-cache", "--max-file-size", "20", "pkg/job.py")
    assert skipped[0] == 2 and "max-file-size" in skipped[2]


def test_cache_folder_layout_and_no_cache(tmp_path: Path, capsys, monkeypatch) -> None:
    pkg = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    _run(capsys, "check", "--no-cache", "pkg")
    assert not (tmp_path / cache_mod.DIR_NAME).exists()
    _run(capsys, "check", "pkg/job.py")
    folder = tmp_path / cache_mod.DIR_NAME
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    packs = list(folder.glob("*.json"))
    assert len(packs) == 1
    stored = json.loads(packs[0].read_text())["files"]
    assert stored[str(pkg / "job.py")]["deps"] == {str(pkg / "consts.py"): reads.digest((pkg / "consts.py").read_bytes())}


def test_cache_dir_setting_and_option(tmp_path: Path, capsys, monkeypatch) -> None:
    _project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-jobstate]\ncache-dir = "build/jscache"\n')
    monkeypatch.chdir(tmp_path)
    _run(capsys, "check", "pkg")
    assert list((tmp_path / "build" / "jscache").glob("*.json"))
    assert not (tmp_path / cache_mod.DIR_NAME).exists()
    _run(capsys, "check", "--cache-dir", "other", "pkg")
    assert list((tmp_path / "other").glob("*.json"))


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1, "files": []}', b"[1, 2]",
                                     b'{"format": 1, "files": {"X": {"digest": 3}}}'])
def test_a_corrupt_pack_is_ignored_and_replaced(tmp_path: Path, capsys, monkeypatch, garbage: bytes) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    cold = _run(capsys, "check", "pkg")
    (pack,) = (tmp_path / cache_mod.DIR_NAME).glob("*.json")
    pack.write_bytes(garbage)
    assert _run(capsys, "check", "pkg") == cold
    assert json.loads(pack.read_text())["format"] == cache_mod.FORMAT


def test_a_malformed_entry_is_ignored(tmp_path: Path, capsys, monkeypatch) -> None:
    pkg = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    cold = _run(capsys, "check", "pkg")
    (pack,) = (tmp_path / cache_mod.DIR_NAME).glob("*.json")
    data = json.loads(pack.read_text())
    data["files"][str(pkg / "job.py")]["findings"] = [["x", 0, "JS202", "m", None]]
    pack.write_text(json.dumps(data))
    assert _run(capsys, "check", "pkg") == cold


def test_a_new_tool_version_uses_a_new_pack(tmp_path: Path, capsys, monkeypatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    cold = _run(capsys, "check", "pkg")
    monkeypatch.setattr(cache_mod, "__version__", "99.0")
    assert _run(capsys, "check", "pkg") == cold
    assert sorted(p.name.split("-")[0] for p in (tmp_path / cache_mod.DIR_NAME).glob("*.json")) == ["v0.1.0", "v99.0"]


def test_parallel_runs_merge_their_entries(tmp_path: Path) -> None:
    folder = str(tmp_path / "c")
    a, b = (tmp_path / "a.py"), (tmp_path / "b.py")
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    first = cache_mod.Cache(folder, cli_config())
    second = cache_mod.Cache(folder, cli_config())  # both loaded before either wrote
    first.store(str(a), cache_mod.Entry(reads.digest(a.read_bytes()), {}, ()))
    second.store(str(b), cache_mod.Entry(reads.digest(b.read_bytes()), {}, ()))
    first.save()
    second.save()
    third = cache_mod.Cache(folder, cli_config())
    assert third.lookup(str(a), a.read_bytes()) == [] and third.lookup(str(b), b.read_bytes()) == []
    assert third.lookup(str(a), b"x = 2\n") is None
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]


def cli_config():
    from flake8_jobstate.config import DEFAULT

    return DEFAULT
