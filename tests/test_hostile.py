"""Hostile inputs (issue 12): texts that crash libcst's parser, files too big, special files, unreadable or
looping paths, malformed notebooks, files changed during ``fix``, killed runs. Each test failed before the
change it covers. Time and memory are measured in benchmarks/scaling.py, never here."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

HEAD = """\
from google.cloud.aiplatform_v1 import JobServiceClient, JobState

job = JobServiceClient().get_custom_job(name="n")
"""
BAD = HEAD + "if job.state == 4:\n    pass\n"
FIXED = HEAD + "if job.state == JobState.JOB_STATE_SUCCEEDED:\n    pass\n"


def run(args: list[str], cwd: Path, code: Optional[str] = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """The CLI in a subprocess (``code``: a Python prelude run before ``main``, e.g. to lift a guard)."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    prelude = code or ""
    cmd = [sys.executable, "-c", f"import sys\n{prelude}\nfrom flake8_jobstate.cli import main\nsys.exit(main(sys.argv[1:]))", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, env=env)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def deep_parens(n: int) -> str:
    return HEAD + "v = " + "(" * n + "job.state == 4" + ")" * n + "\n"


def or_chain(n: int) -> str:
    return HEAD + "v = " + " or ".join(["job.state == 4"] * n) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# 1. nothing that crashes libcst's parser reaches it


def test_a_sibling_module_too_deep_for_libcst_is_not_parsed(tmp_path: Path):
    """A module read only for a summary (``from .consts import DONE, current``) goes through the same guard as
    the analysed file: its 10,000-term ``or`` chains would crash libcst's parser (SIGSEGV) in the middle of the
    analysis of the file that imports it."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "consts.py").write_text(
        "from google.cloud.aiplatform_v1 import JobState\n"
        "DONE = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)\n"
        "FLAG = " + " or ".join(["JobState.JOB_STATE_RUNNING"] * 10_000) + "\n"
        "def current(name):\n"
        "    return JobServiceClient().get_custom_job(name=name).state or " + " or ".join(["name"] * 10_000) + "\n"
    )
    (pkg / "use.py").write_text(HEAD + "from .consts import DONE, current\nif job.state in DONE or current(1) == 4:\n    pass\n")
    r = run(["check", "--no-cache", "pkg/use.py"], tmp_path)
    assert r.returncode in (0, 1), (r.returncode, r.stderr)
    assert r.stderr == "", r.stderr


@pytest.mark.parametrize("command", [["check"], ["fix"], ["fix", "--diff"]])
def test_deep_nesting_is_skipped_not_a_segfault(tmp_path: Path, command: list[str]):
    (tmp_path / "deep.py").write_text(deep_parens(1300))  # Python rejects it; libcst segfaulted (exit 139)
    (tmp_path / "chain.py").write_text(or_chain(10_000))  # Python accepts it; libcst segfaulted
    (tmp_path / "ok.py").write_text(BAD)
    r = run(command + ["deep.py", "chain.py", "ok.py"], tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    err = r.stderr.splitlines()
    assert "deep.py: error: cannot parse: too many nested parentheses (line 4)" in err, err
    assert "chain.py: error: skipped: nested more than 1000 levels deep (libcst's parser cannot take it)" in err, err
    assert ("ok.py:4:17: JS101" in r.stdout) if command == ["check"] else "ok.py" in r.stdout + r.stderr


def test_deep_nesting_under_flake8(tmp_path: Path):
    (tmp_path / "chain.py").write_text(or_chain(10_000))
    (tmp_path / "ok.py").write_text(BAD)
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "JS", "chain.py", "ok.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert [ln.split(" ")[:2] for ln in proc.stdout.splitlines()] == [["ok.py:4:17:", "JS101"]], proc.stdout


def test_nesting_depth_counts_boolean_chains():
    from flake8_jobstate.engine import MAX_DEPTH, nesting_depth, python_tree

    assert nesting_depth(python_tree(or_chain(50))) < 100
    assert nesting_depth(python_tree(or_chain(MAX_DEPTH + 10))) > MAX_DEPTH
    assert nesting_depth(python_tree("x = " + "-" * 1200 + "1\n")) > MAX_DEPTH


def test_a_crashing_worker_is_one_files_error(tmp_path: Path):
    """With the guard lifted, libcst really crashes on one file of a folder: that file gets the error, every
    other file is still reported (before: 'continuing serially', then the main process died too)."""
    for i in range(30):
        (tmp_path / f"f{i:02}.py").write_text(BAD)
    (tmp_path / "chain.py").write_text(or_chain(10_000))
    r = run(["check", "-j", "2", "."], tmp_path, code="import flake8_jobstate.guard as g; g.MAX_DEPTH = 10**9; "
            "import flake8_jobstate.cli as c; c.PARALLEL_FROM_BYTES = 0")  # a pool even for this little code
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == ["./chain.py: error: skipped: the analysis crashed (killed by SIGSEGV)"]
    assert sorted(ln.split(":")[0] for ln in r.stdout.splitlines()) == [f"./f{i:02}.py" for i in range(30)]


def _crash_on_boom(item: str) -> str:
    if item == "boom":
        import faulthandler

        faulthandler.disable()  # (pytest's would print the dump)
        os.kill(os.getpid(), signal.SIGSEGV)
    return item.upper()


def test_pool_names_the_crashed_item():
    from flake8_jobstate.pool import Crashed, run as pool_run

    items = [f"i{k}" for k in range(12)] + ["boom"] + [f"j{k}" for k in range(12)]
    out = pool_run(items, _crash_on_boom, lambda: None, (), 2)
    crashed = [i for i, r in enumerate(out) if isinstance(r, Crashed)]
    assert crashed == [12] and out[12].how == "killed by SIGSEGV"
    assert [r for r in out if not isinstance(r, Crashed)] == [i.upper() for i in items if i != "boom"]


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_with_the_main_process(tmp_path: Path):
    for i in range(40):
        (tmp_path / f"f{i:02}.py").write_text(BAD + "x = 1\n" * 9000)  # 2.2 MB in all: enough for a pool
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "flake8_jobstate.cli", "fix", "-j", "2", "."], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "no workers seen"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        alive = workers
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [w for w in alive if _running(w)]
        assert alive == [], "workers outlived the main process"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------------------------
# 2. size guard


def test_max_file_size(tmp_path: Path):
    (tmp_path / "big.py").write_text(BAD + "x = 1\n" * 100)
    r = run(["check", "--max-file-size", "500", "big.py"], tmp_path)
    assert r.returncode == 2
    size = len(BAD + "x = 1\n" * 100)
    assert r.stderr.splitlines() == [
        f"big.py: error: skipped: {size:,} characters, over max-file-size (500); raise it to check this file"
    ]
    assert run(["check", "--max-file-size", "0", "big.py"], tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text("[tool.flake8-jobstate]\nmax-file-size = 500\n")
    assert "over max-file-size (500)" in run(["fix", "big.py"], tmp_path).stderr
    assert (tmp_path / "big.py").read_text() == BAD + "x = 1\n" * 100
    r = run(["check", "--max-file-size", "lots", "big.py"], tmp_path)
    assert r.returncode == 2 and "max-file-size: 'lots' is not a number of characters" in r.stderr


def test_max_file_size_under_flake8(tmp_path: Path):
    (tmp_path / "big.py").write_text(BAD)
    base = [sys.executable, "-m", "flake8", "--select", "JS", "big.py"]
    assert subprocess.run(base, cwd=tmp_path, capture_output=True).returncode == 1
    proc = subprocess.run(base + ["--jobstate-max-file-size", "50"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------------------------
# 6. every skipped path says why


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_special_files_are_skipped_never_opened(tmp_path: Path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "ok.py").write_text(BAD)
    os.mkfifo(tmp_path / "tree" / "x.py")  # opening it would block for ever
    r = run(["check", "tree", "/dev/zero"], tmp_path, timeout=60)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "tree/x.py: error: skipped: a FIFO, not a source file (never opened)",
        "/dev/zero: error: skipped: a character device, not a source file (never opened)",
    ]
    assert r.stdout.startswith("tree/ok.py:4:17: JS101")


def test_symlink_loops_and_dangling_links(tmp_path: Path):
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    (tmp_path / "gone.py").symlink_to("nowhere.py")
    r = run(["check", "a.py", "gone.py", "missing.py"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "a.py: error: skipped: symlink loop",
        "gone.py: error: no such file (a broken symlink)",
        "missing.py: error: no such file or directory",
    ]


def test_unreadable_folders_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(In-process: root reads any folder, so the refusal is simulated where os.walk lists folders.)"""
    from flake8_jobstate.files import collect
    from flake8_jobstate.settings import Settings

    (tmp_path / "tree" / "locked").mkdir(parents=True)
    (tmp_path / "tree" / "ok.py").write_text(BAD)
    locked = str(tmp_path / "tree" / "locked")
    real = os.scandir

    def scandir(path="."):  # noqa: ANN001, ANN202
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, problems = collect([str(tmp_path / "tree")], Settings(root=str(tmp_path)))
    assert files == [str(tmp_path / "tree" / "ok.py")]
    assert [(p.path, p.errors) for p in problems] == [(locked, ["cannot list this folder: permission denied"])]
    files, problems = collect([locked], Settings(root=str(tmp_path)))
    assert files == [] and [(p.path, p.errors) for p in problems] == [
        (locked, ["cannot list this folder: permission denied"])
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_named_on_the_command_line(tmp_path: Path):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked").chmod(0)
    try:
        r = run(["check", "locked"], tmp_path)
    finally:
        (tmp_path / "locked").chmod(stat.S_IRWXU)
    assert r.returncode == 2 and r.stderr.splitlines() == ["locked: error: cannot list this folder: permission denied"]


def test_notebook_deeply_nested_json(tmp_path: Path):
    (tmp_path / "deep.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    r = run(["check", "deep.ipynb"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["deep.ipynb: error: invalid notebook JSON: nested too deeply to read"]


def _notebook(cells: list) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_notebook_cell_that_is_a_bare_string(tmp_path: Path):
    code = {"cell_type": "code", "source": BAD, "metadata": {}, "outputs": [], "execution_count": None}
    (tmp_path / "nb.ipynb").write_text(_notebook(["import os\n", code]))
    r = run(["check", "nb.ipynb"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "nb.ipynb: error: cells[0] is a JSON string, not a cell object; skipped, the other cells were checked"
    ]
    assert r.stdout.startswith("nb.ipynb:cell_1:4:17: JS101")
    # a source given as one string (not a list of lines) is valid nbformat: analysed
    (tmp_path / "ok.ipynb").write_text(_notebook([code]))
    r = run(["check", "ok.ipynb"], tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("ok.ipynb:cell_1:4:17: JS101"), r.stderr


# ---------------------------------------------------------------------------------------------------------------
# 7. fix: no lost edit, no stale temp file, hard links


def test_fix_leaves_a_file_changed_during_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from flake8_jobstate import files
    from flake8_jobstate.settings import Settings

    path = tmp_path / "a.py"
    path.write_text(BAD)
    original_write = files.atomic_write

    def edit_then_write(p, data, original=None):  # noqa: ANN001, ANN202 - the user saves while fix runs
        with open(p, "a") as fh:
            fh.write("# saved by the user\n")
        return original_write(p, data, original)

    monkeypatch.setattr(files, "atomic_write", edit_then_write)
    res = files.fix_file(str(path), Settings(root=str(tmp_path)))
    assert res.errors == ["changed during the run (saved by someone else?); left untouched, run fix again"]
    assert not res.changed
    assert path.read_text() == BAD + "# saved by the user\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_fix_removes_its_stale_temp_files(tmp_path: Path):
    (tmp_path / "a.py").write_text(BAD)
    stale = tmp_path / ".a.py.k3j_x9z1.jobstate-tmp"
    fresh = tmp_path / ".a.py.abcdefgh.jobstate-tmp"  # maybe another run's, still writing
    other = tmp_path / ".a.py.x.py.abcdefgh.jobstate-tmp"  # a temp of the file ".a.py.x.py"
    for p in (stale, fresh, other):
        p.write_text("half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    r = run(["fix", "a.py"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.py", fresh.name, other.name])
    assert (tmp_path / "a.py").read_text() == FIXED


def test_fix_on_a_hard_linked_file_says_so(tmp_path: Path):
    (tmp_path / "a.py").write_text(BAD)
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    r = run(["fix", "a.py"], tmp_path)
    assert r.returncode == 1
    assert "a.py: warning: had hard links: the fixed file is a new file, its other names keep the old content" \
        in r.stderr.splitlines()
    assert (tmp_path / "a.py").read_text() == FIXED and (tmp_path / "b.py").read_text() == BAD


# ---------------------------------------------------------------------------------------------------------------
# 3, 4. one line map (Python's tokenizer's): noqa, positions, form feeds, lone backslashes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
NOT_LINE_ENDS = ["\x0c", "\x0b", "\x1c", "\x85", "\u2028"]  # str.splitlines() breaks at these; Python does not


def _flake8(path: Path) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "JS,F821", path.name], cwd=path.parent,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.splitlines()


def _where(lines: list[str]) -> list[str]:
    return [ln.split(" ")[0] + " " + ln.split(" ")[1] for ln in lines]


@pytest.mark.parametrize("char", NOT_LINE_ENDS, ids=repr)
def test_noqa_after_a_string_holding_a_non_line_end(tmp_path: Path, char: str):
    text = HEAD + f"X = 'a{char}b'\nif job.state == 4:  # noqa: JS101\n    pass\nif job.state == 4:\n    pass\n"
    (tmp_path / "a.py").write_text(text, encoding="utf-8")
    want = ["a.py:7:17: JS101"]
    assert _where(_flake8(tmp_path / "a.py")) == want
    r = run(["check", "a.py"], tmp_path)
    assert _where(r.stdout.splitlines()) == want, r.stdout + r.stderr
    run(["fix", "a.py"], tmp_path)
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == text.replace(
        "if job.state == 4:\n    pass\n", "if job.state == JobState.JOB_STATE_SUCCEEDED:\n    pass\n"
    ).replace("if job.state == JobState.JOB_STATE_SUCCEEDED:  # noqa", "if job.state == 4:  # noqa")


@pytest.mark.parametrize("char", NOT_LINE_ENDS, ids=repr)
def test_file_noqa_inside_a_string_is_not_a_file_noqa(tmp_path: Path, char: str):
    (tmp_path / "a.py").write_text(HEAD + f"X = 'a{char}# flake8: noqa'\nif job.state == 4:\n    pass\n", encoding="utf-8")
    want = ["a.py:5:17: JS101"]
    assert _where(_flake8(tmp_path / "a.py")) == want
    assert _where(run(["check", "a.py"], tmp_path).stdout.splitlines()) == want


def test_column_after_a_leading_form_feed_is_flake8s(tmp_path: Path):
    """flake8 (pyflakes' F821 here) counts a form feed as a character of the line; so do we."""
    (tmp_path / "a.py").write_text(HEAD + "\x0c\x0cv = (job.state == 4, undefined_name)\n")
    out = _flake8(tmp_path / "a.py")
    assert _where(out) == ["a.py:4:21: JS101", "a.py:4:24: F821"]  # 20 characters before the 4
    assert _where(run(["check", "a.py"], tmp_path).stdout.splitlines()) == ["a.py:4:21: JS101"]


def test_hostile_fixtures_agree_with_flake8_and_fix_keeps_every_character(tmp_path: Path):
    for fixture in sorted(FIXTURES.glob("*.py")):
        data = fixture.read_bytes()
        (tmp_path / fixture.name).write_bytes(data)
        r = run(["check", fixture.name], tmp_path)
        assert r.returncode == 1, r.stderr
        assert _where(r.stdout.splitlines()) == _where(_flake8(tmp_path / fixture.name))
        r = run(["fix", fixture.name], tmp_path)
        assert r.returncode == 1, r.stderr
        fixed = (tmp_path / fixture.name).read_bytes()
        assert fixed.replace(b"JobState.JOB_STATE_SUCCEEDED", b"4").replace(b"JobState.JOB_STATE_FAILED", b"5") \
            == data
        assert run(["check", fixture.name], tmp_path).returncode == 0


@pytest.mark.parametrize("text", [
    "if job.state == 4:\n\x0c    pass\n",  # fix failed: invalid value for default_indent
    "\x0c\x0cx = job.state == 4\n\x0c\x0cif x:\n\x0c\x0c    pass\n",  # lines indented with two form feeds
    "if True:\n  \x0c  x = job.state == 4\n  \x0c  y = 1\n",
], ids=["ff-body", "ff-ff-block", "ws-ff-ws"])
def test_form_feeds_python_accepts_are_analysed_and_fixed(tmp_path: Path, text: str):
    compile(HEAD + text, "a.py", "exec")
    (tmp_path / "a.py").write_text(HEAD + text)
    r = run(["check", "a.py"], tmp_path)
    assert r.returncode == 1 and _where(r.stdout.splitlines()) == _where(_flake8(tmp_path / "a.py")), r.stderr
    r = run(["fix", "a.py"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert (tmp_path / "a.py").read_text() == HEAD + text.replace("== 4", "== JobState.JOB_STATE_SUCCEEDED")


@pytest.mark.parametrize("text", [
    "if job.state == 4:\r\n    pass\r\n\\\r\n",
    "if job.state == 4:\r\n    \\\r\n    pass\r\n",
    "if job.state == 4:\r\n\\\r\n    pass\r\n",
    "if job.state == 4:\r\n    pass\r\n    \\\r\n",
], ids=["eof", "in-block", "col0", "indented-eof"])
def test_a_line_holding_only_a_backslash(tmp_path: Path, text: str):
    data = (HEAD.replace("\n", "\r\n") + text).encode()
    (tmp_path / "a.py").write_bytes(data)
    try:
        compile(data, "a.py", "exec")
    except SyntaxError as e:  # Python 3.12+ rejects a backslash on the last line; then so does the tool
        r = run(["check", "a.py"], tmp_path)
        assert r.returncode == 2 and f"a.py: error: cannot parse: {e.msg}" in r.stderr, r.stderr
        assert run(["fix", "a.py"], tmp_path).returncode == 2 and (tmp_path / "a.py").read_bytes() == data
        return
    r = run(["check", "a.py"], tmp_path)
    assert r.returncode == 1 and _where(r.stdout.splitlines()) == ["a.py:4:17: JS101"], r.stderr
    r = run(["fix", "a.py"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert (tmp_path / "a.py").read_bytes() == data.replace(b"== 4", b"== JobState.JOB_STATE_SUCCEEDED")


def test_split_lines_is_pythons():
    from flake8_jobstate.text import split_lines

    text = "a\x0cb\x0bc\x1cd\x85e\u2028f\u2029g\r\nh\ri\nj"
    assert split_lines(text) == ["a\x0cb\x0bc\x1cd\x85e\u2028f\u2029g\r\n", "h\r", "i\n", "j"]
    assert split_lines("") == [] and split_lines("x\n") == ["x\n"]


def test_notebook_cell_with_a_lone_carriage_return(tmp_path: Path):
    code = {"cell_type": "code", "source": HEAD + "x = 1\rif job.state == 4:\n    pass\n", "metadata": {},
            "outputs": [], "execution_count": None}
    (tmp_path / "nb.ipynb").write_text(_notebook([code]))
    r = run(["check", "nb.ipynb"], tmp_path)
    assert _where(r.stdout.splitlines()) == ["nb.ipynb:cell_1:5:17: JS101"], r.stderr
    r = run(["fix", "nb.ipynb"], tmp_path)
    assert r.returncode == 1, r.stderr
    cell = json.loads((tmp_path / "nb.ipynb").read_text())["cells"][0]
    assert cell["source"] == code["source"].replace("== 4", "== JobState.JOB_STATE_SUCCEEDED")


def test_parser_text_is_equivalent_and_restores_every_character():
    """Indentations with form feeds and tabs, lone backslashes, under every line ending: libcst parses the
    normalised text, Python reads it as the original, and restoring gives the original back."""
    import ast
    import itertools

    import libcst

    from flake8_jobstate.text import ParserText, final_break

    pieces = ["", " ", "    ", "\x0c", "\x0c\x0c", "\t", " \t", "\t ", "\x0c\t"]
    shapes = ["if x:\n{a}pass\n{b}pass\n", "if x:\n    pass\n{a}\n{b}y = 1\n", "def f():\n{a}if x:\n{b}    pass\n",
              "{a}x = 1\n{b}y = 2\n", "if x:\n{a}y = 1 \\\n{b}+ 2\n", "s = '''\n{a}x\n'''\nif s:\n {b} pass\n",
              "if x:\n{a}pass\n{b}\\\n", "x = '{a}'\n{b}\\\n", "x = (1,\n{a}2)  # {b}\n"]
    checked = 0
    for a, b in itertools.product(pieces, repeat=2):
        for shape in shapes:
            for eol in ("\n", "\r\n", "\r"):
                text = shape.format(a=a, b=b).replace("\n", eol)
                try:
                    tree = compile(text, "x", "exec", ast.PyCF_ONLY_AST)
                except SyntaxError:
                    continue
                pt = ParserText(text)
                module = libcst.parse_module(pt.text)
                assert ast.dump(ast.parse(pt.text)) == ast.dump(tree), repr(text)
                assert final_break(text, pt.restore(module.code)) == text, repr(text)
                checked += 1
    assert checked > 900


def test_fix_on_a_long_or_chain(tmp_path: Path):
    """320 terms and more: fix stopped with 'internal error: nesting too deep' while check called them fixable."""
    (tmp_path / "a.py").write_text(or_chain(400))
    r = run(["fix", "a.py"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert (tmp_path / "a.py").read_text() == or_chain(400).replace("== 4", "== JobState.JOB_STATE_SUCCEEDED")
    assert run(["check", "a.py"], tmp_path).returncode == 0


@pytest.mark.skipif(not os.environ.get("JOBSTATE_CAMPAIGN"), reason="set JOBSTATE_CAMPAIGN=1 (or a file limit) to run")
def test_fault_campaign():
    """benchmarks/campaign.py: every fixture under every hostile mutation through flake8, check and fix."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from campaign import campaign

    value = os.environ["JOBSTATE_CAMPAIGN"]
    stats = campaign(int(value) if value.isdigit() and int(value) > 1 else 10**9)
    assert stats["crashes"] == []
    assert stats["fixed_files_that_no_longer_compile"] == []
    assert stats["python_accepts_but_not_analysed"] == []
    assert stats["temp_files_left"] == []


def test_cr_only_file_is_analysed_and_keeps_its_last_line_end(tmp_path: Path):
    """CR-only line ends (old Mac): the prefilter saw no import at a line start and skipped the file, and
    libcst dropped the final "\\r" when fixing."""
    data = BAD.replace("\n", "\r").encode()
    (tmp_path / "a.py").write_bytes(data)
    r = run(["check", "a.py"], tmp_path)
    assert _where(r.stdout.splitlines()) == ["a.py:4:17: JS101"], r.stderr
    assert run(["fix", "a.py"], tmp_path).returncode == 1
    assert (tmp_path / "a.py").read_bytes() == FIXED.replace("\n", "\r").encode()


def test_diff_of_many_fixes_is_difflibs_format():
    import difflib

    from flake8_jobstate.text import unified_diff

    a = [f"x{i} = job.state == 4\n" if i % 7 == 0 else f"y{i} = {i}\n" for i in range(3000)]
    b = [ln.replace("== 4", "== JobState.JOB_STATE_SUCCEEDED") for ln in a]
    assert "".join(unified_diff(a, b, "a/x.py", "b/x.py")) == "".join(difflib.unified_diff(a, b, "a/x.py", "b/x.py"))
    c = ["from m import JobState\n"] + b  # another length: matched greedily, still a diff that rebuilds ``c``
    out: list[str] = []
    from flake8_jobstate.text import LineMatcher

    for tag, i1, i2, j1, j2 in LineMatcher(None, a, c, autojunk=False).get_opcodes():
        out.extend(a[i1:i2] if tag == "equal" else c[j1:j2])
    assert out == c


def test_stubbed_method_behind_a_form_feed(tmp_path: Path):
    """The stubbing pass keeps a form feed in a method's indentation (it wrote the stub at column 0)."""
    text = HEAD + "class C:\n\x0c    def other(self):\n        return 1\n\n    def wait(self):\n" \
        "        if job.state == 4:\n            pass\n"
    (tmp_path / "a.py").write_text(text)
    r = run(["check", "a.py"], tmp_path)
    assert _where(r.stdout.splitlines()) == ["a.py:9:25: JS101"], r.stdout + r.stderr


def test_notebook_fix_adding_an_import_to_a_cell_with_form_feeds(tmp_path: Path):
    """The import is added to the cell with LibCST: it failed ('invalid value for default_indent') on a cell
    whose indentation held a form feed."""
    src = ("from google.cloud.aiplatform_v1 import JobServiceClient\n\njob = JobServiceClient().get_custom_job(name='n')\n"
           "if job.state == 4:\n\x0c    pass\n")
    code = {"cell_type": "code", "source": src, "metadata": {}, "outputs": [], "execution_count": None}
    (tmp_path / "nb.ipynb").write_text(_notebook([code]))
    r = run(["fix", "nb.ipynb"], tmp_path)
    assert r.returncode == 1, r.stderr
    new = json.loads((tmp_path / "nb.ipynb").read_text())["cells"][0]["source"]
    assert "JobState.JOB_STATE_SUCCEEDED:\n\x0c    pass\n" in new and "import JobState" in new, new
