#!/usr/bin/env python3
"""Benchmark flake8-jobstate against flake8, ruff and libcst.tool on real code.

One command fetches a pinned corpus from PyPI, runs every command pair with
interleaved repetitions and writes ``results.md`` plus ``results.png``::

    python benchmarks/run.py               # 5 interleaved repetitions, both trees
    python benchmarks/run.py --repeat 3    # fewer repetitions
    python benchmarks/run.py --quick       # 1 repetition, aiplatform tree only

Measured pairs (candidate vs reference):

* ``flake8-j1``   flake8 --select E,F,W,JS -j1 vs flake8 --select E,F,W -j1 (plugin hidden)
* ``flake8-jobs`` the same pair with flake8's default job count
* ``check``       flake8-jobstate check vs ruff check --select E,F,W --no-cache
* ``fix``         flake8-jobstate fix --diff vs python -m libcst.tool codemod ...

Wall time comes from ``time.perf_counter`` around each child process and peak
memory from ``os.wait4``, which returns the ``ru_maxrss`` of exactly that child
(and, for multi-process tools, the largest of its reaped workers).  Medians over
the repetitions are reported.  See README.md in this directory for details.

Only the standard library is needed to run the benchmark; matplotlib is
optional (without it the PNG chart is skipped).  The tools being measured
(flake8, ruff, libcst and, when installed, flake8-jobstate) must be installed
in the interpreter that runs this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata as metadata
import importlib.util
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
WHEEL_DIR = CACHE_DIR / "wheels"
CORPUS_DIR = CACHE_DIR / "corpus"
FLAKE8_SHIM = BENCH_DIR / "_flake8_shim.py"

PLUGIN_ENTRY_POINT = "JS"
CLI_NAME = "flake8-jobstate"
PACKAGE_NAME = "flake8_jobstate"
DEFAULT_CODEMOD = "flake8_jobstate.codemod.JobStateCodemod"
TRACEBACK_MARKER = "Traceback (most recent call last)"
STAMP_NAME = ".benchmark-wheel"

PAIR_IDS = ("flake8-j1", "flake8-jobs", "check", "check-warm", "fix")
PairKind = Literal["overhead", "slowdown", "speedup"]
Role = Literal["candidate", "reference"]


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class CorpusSpec:
    """A pinned PyPI wheel and the source trees inside it that get measured."""

    key: str
    distribution: str
    version: str
    trees: tuple[str, ...]
    optional_trees: tuple[str, ...] = ()
    sdist: bool = False  # the source distribution (pip download --no-binary) instead of the wheel
    pairs: tuple[str, ...] | None = None  # comparisons measured on this tree (None: all selected)

    @property
    def wheel_prefix(self) -> str:
        """Lower-cased archive file-name prefix (PEP 427/625 escaping) for this pin."""
        name = f"{re.sub(r'[-_.]+', '_', self.distribution).lower()}-{self.version}"
        return name + (".tar.gz" if self.sdist else "-")

    @property
    def unpack_name(self) -> str:
        return self.distribution + ("-sdist" if self.sdist else "")


CORPUS: tuple[CorpusSpec, ...] = (
    CorpusSpec(
        key="airflow",
        distribution="apache-airflow-providers-google",
        version="22.8.0",
        trees=("airflow/providers/google",),
    ),
    CorpusSpec(
        key="aiplatform",
        distribution="google-cloud-aiplatform",
        version="2.7.0",
        trees=("google/cloud/aiplatform",),
        optional_trees=("vertexai",),
    ),
    CorpusSpec(
        key="airflow-sdist",
        distribution="apache-airflow-providers-google",
        version="22.8.0",
        trees=("src", "tests"),
        optional_trees=("docs",),
        sdist=True,
        pairs=("check", "check-warm"),
    ),
)


@dataclass(frozen=True)
class Tree:
    """One unpacked, measured corpus tree (possibly several top-level paths)."""

    spec: CorpusSpec
    wheel: Path
    wheel_sha256: str
    corpus_root: Path
    paths: tuple[str, ...]
    files: int
    lines: int

    @property
    def key(self) -> str:
        return self.spec.key


def log(message: str) -> None:
    """Print a progress message to stderr."""
    print(message, file=sys.stderr, flush=True)


def shown(path: Path) -> str:
    """``path`` relative to the repository root when inside it, else absolute."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(spec: CorpusSpec) -> Path:
    """Return the cached wheel (or sdist) for ``spec``, downloading it with pip if needed."""
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)

    def cached() -> Path | None:
        matches = [
            p for p in WHEEL_DIR.glob("*.tar.gz" if spec.sdist else "*.whl")
            if p.name.lower().startswith(spec.wheel_prefix)
        ]
        return sorted(matches)[0] if matches else None

    wheel = cached()
    if wheel is not None:
        return wheel
    requirement = f"{spec.distribution}=={spec.version}"
    log(f"fetching {requirement} into {shown(WHEEL_DIR)} ...")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary=:all:" if spec.sdist else "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(WHEEL_DIR),
        requirement,
    ]
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wheel = cached()
    if completed.returncode != 0 or wheel is None:
        raise SystemExit(
            f"error: could not download {requirement} (pip exit {completed.returncode}):\n"
            + textwrap.indent(completed.stdout[-3000:], "    ")
        )
    return wheel


def unpack_wheel(spec: CorpusSpec, wheel: Path, wheel_sha256: str) -> Path:
    """Unpack ``wheel`` into ``.cache/corpus/<distribution>[-sdist]/`` unless already there (an sdist's
    top-level ``<name>-<version>/`` folder is dropped)."""
    dest = CORPUS_DIR / spec.unpack_name
    stamp = dest / STAMP_NAME
    expected = f"{wheel.name} {wheel_sha256}\n"
    if stamp.is_file() and stamp.read_text() == expected:
        return dest
    log(f"unpacking {wheel.name} ...")
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if spec.sdist:
        with tarfile.open(wheel) as archive:
            archive.extractall(staging, filter="data")  # no absolute paths, links out or devices
        tops = [p for p in staging.iterdir() if p.is_dir()]
        if len(tops) == 1:
            for child in tops[0].iterdir():
                child.rename(staging / child.name)
            tops[0].rmdir()
    else:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)  # zipfile drops absolute and ".." components
    (staging / STAMP_NAME).write_text(expected)
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return dest


def count_python(root: Path, paths: Iterable[str]) -> tuple[int, int]:
    """Count ``*.py`` files and physical lines below ``root/path`` for each path.

    Reading every file also warms the page cache before the first timed run.
    """
    files = lines = 0
    for rel in paths:
        for path in sorted((root / rel).rglob("*.py")):
            data = path.read_bytes()
            files += 1
            lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return files, lines


def prepare_tree(spec: CorpusSpec) -> Tree:
    """Fetch, unpack and count one corpus tree."""
    wheel = fetch_wheel(spec)
    wheel_sha256 = sha256_file(wheel)
    root = unpack_wheel(spec, wheel, wheel_sha256)
    missing = [rel for rel in spec.trees if not (root / rel).is_dir()]
    if missing:
        raise SystemExit(f"error: {wheel.name} has no {', '.join(missing)} directory")
    paths = spec.trees + tuple(rel for rel in spec.optional_trees if (root / rel).is_dir())
    files, lines = count_python(root, paths)
    return Tree(spec, wheel, wheel_sha256, root, paths, files, lines)


def tree_digest(root: Path, pattern: str = "*") -> str:
    """Digest of the relative path and content of every file matching ``pattern`` below ``root``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob(pattern) if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class WorkCopy:
    """A private copy of one tree in the temporary work directory.

    Every command runs against the copy, with the copy's parent as working
    directory, so nothing can write into the cache and no configuration file
    of this repository (pyproject.toml, .flake8, ...) is ever discovered.
    """

    tree: Tree
    root: Path
    digest: str = ""

    def populate(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        for rel in self.tree.paths:
            shutil.copytree(self.tree.corpus_root / rel, self.root / rel)
        self.digest = tree_digest(self.root)

    def modified(self) -> bool:
        return tree_digest(self.root) != self.digest


# --------------------------------------------------------------------------- tools


@dataclass(frozen=True)
class Toolchain:
    """Executables and availability notes for everything that gets measured."""

    python: str
    ruff: str | None
    cli: str | None
    plugin: str | None
    plugin_note: str | None
    check_note: str | None
    fix_note: str | None
    codemod: str
    codemod_note: str | None


def find_ruff() -> str | None:
    """Locate the real ruff binary (not a pyenv/asdf shim, which adds start-up time)."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def find_script(name: str) -> str | None:
    """Locate a console script of *this* interpreter's environment, then on PATH."""
    candidates = [Path(sys.executable).parent / name, Path(sysconfig.get_path("scripts")) / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def installed_plugin() -> str | None:
    """Return "<dist> <version>" of the distribution providing the JS flake8 plugin."""
    for entry_point in metadata.entry_points(group="flake8.extension"):
        if entry_point.name == PLUGIN_ENTRY_POINT:
            dist = getattr(entry_point, "dist", None)
            if dist is not None:
                return f"{dist.metadata['Name']} {dist.version}"
            return entry_point.value
    return None


def package_fingerprint() -> str | None:
    """Digest of flake8-jobstate's installed ``*.py`` sources, or None if not importable.

    With an editable install the sources can change while the benchmark runs;
    comparing the fingerprint before and after measuring detects that.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE_NAME)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return tree_digest(Path(next(iter(spec.submodule_search_locations))), "*.py")


def quick_run(argv: Sequence[str], timeout: float = 120) -> tuple[int, str]:
    """Run a short helper command and return (exit code, combined output)."""
    try:
        completed = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return completed.returncode, completed.stdout


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def subcommand_note(cli: str | None, subcommand: str, required_flag: str | None) -> str | None:
    """Explain why ``flake8-jobstate <subcommand>`` cannot be benchmarked, or None."""
    if cli is None:
        return f"`{CLI_NAME}` console script not found (install the project: pip install -e .)"
    code, output = quick_run([cli, subcommand, "--help"])
    if code != 0:
        return f"`{CLI_NAME} {subcommand} --help` exited {code}: {last_line(output)}"
    if required_flag is not None and required_flag not in output:
        return f"`{CLI_NAME} {subcommand} --help` does not list {required_flag}"
    return None


CODEMOD_PROBE = """
import importlib, sys
module_name, _, class_name = sys.argv[1].rpartition(".")
try:
    cls = getattr(importlib.import_module(module_name), class_name)
except Exception as exc:
    print(f"cannot import {sys.argv[1]}: {type(exc).__name__}: {exc}")
    raise SystemExit(1)
from libcst.codemod import CodemodCommand
if not (isinstance(cls, type) and issubclass(cls, CodemodCommand)):
    print(f"{sys.argv[1]} is not a libcst.codemod.CodemodCommand subclass")
    raise SystemExit(1)
"""


def codemod_note(class_path: str) -> str | None:
    """Explain why libcst.tool cannot run ``class_path``, or None if it can."""
    code, output = quick_run([sys.executable, "-c", CODEMOD_PROBE, class_path])
    return None if code == 0 else last_line(output)


def discover_tools(codemod: str) -> Toolchain:
    """Find every measured tool and record why any of them is unavailable."""
    cli = find_script(CLI_NAME)
    plugin = installed_plugin()
    return Toolchain(
        python=sys.executable,
        ruff=find_ruff(),
        cli=cli,
        plugin=plugin,
        plugin_note=None
        if plugin
        else (
            f"flake8 plugin entry point `{PLUGIN_ENTRY_POINT}` is not installed "
            "(pip install -e . from the repository root); plugin rows skipped"
        ),
        check_note=subcommand_note(cli, "check", None),
        fix_note=subcommand_note(cli, "fix", "--diff"),
        codemod=codemod,
        codemod_note=codemod_note(codemod),
    )


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """One measured command line."""

    key: str
    label: str
    role: Role
    argv: tuple[str, ...]
    cwd: Path
    ok_exit_codes: frozenset[int]
    display: str
    may_write: bool = False
    prime: bool = False  # run once, unmeasured, before the first repetition (fills a cache)


@dataclass(frozen=True)
class Comparison:
    """A candidate/reference pair on one tree; either side may be skipped."""

    pair_id: str
    kind: PairKind
    title: str
    tree: Tree
    candidate: Command | None
    reference: Command | None
    notes: tuple[str, ...]


def display_argv(argv: Sequence[str], toolchain: Toolchain) -> str:
    """Render argv for humans: executables by short name, everything else quoted."""
    aliases = {toolchain.python: "python", str(FLAKE8_SHIM): "benchmarks/_flake8_shim.py"}
    if toolchain.ruff:
        aliases[toolchain.ruff] = "ruff"
    if toolchain.cli:
        aliases[toolchain.cli] = CLI_NAME
    return shlex.join(aliases.get(arg, arg) for arg in argv)


LINTER_EXIT_CODES = frozenset({0, 1})  # 1 = "problems found"
RUFF_ARGS = ("check", "--isolated", "--no-cache", "--select", "E,F,W", "--output-format", "concise")
LIBCST_TOOL_ARGS = (
    "-m", "libcst.tool", "codemod", "-x", "--no-format", "--hide-progress", "--unified-diff=3",
)  # fmt: skip


@dataclass(frozen=True)
class CommandFactory:
    """Builds the commands of every comparison for one tree."""

    tree: Tree
    cwd: Path
    tools: Toolchain

    def make(
        self,
        name: str,
        label: str,
        role: Role,
        argv: Sequence[str],
        ok_exit_codes: frozenset[int] = LINTER_EXIT_CODES,
        may_write: bool = False,
        prime: bool = False,
    ) -> Command:
        """A command running ``argv`` followed by the tree's paths."""
        full = (*argv, *self.tree.paths)
        return Command(
            key=f"{self.tree.key}:{name}",
            label=label,
            role=role,
            argv=full,
            cwd=self.cwd,
            ok_exit_codes=ok_exit_codes,
            display=display_argv(full, self.tools),
            may_write=may_write,
            prime=prime,
        )

    def flake8(self, pair_id: str) -> Comparison:
        """flake8 E,F,W with the JS plugin vs without it, at -j1 or default jobs."""
        tools = self.tools
        jobs = ["-j1"] if pair_id == "flake8-j1" else []
        suffix = " -j1" if jobs else " (default -j)"
        shim = [tools.python, str(FLAKE8_SHIM)]
        reference = self.make(
            f"{pair_id}-base",
            f"flake8 E,F,W{suffix}",
            "reference",
            [*shim, "--hide", PLUGIN_ENTRY_POINT, "--", "--isolated", "--select", "E,F,W", *jobs],
        )
        candidate = None
        if tools.plugin is not None:
            candidate = self.make(
                f"{pair_id}-plugin",
                f"flake8 E,F,W,JS{suffix}",
                "candidate",
                [*shim, "--", "--isolated", "--select", "E,F,W,JS", *jobs],
            )
        notes = (tools.plugin_note,) if tools.plugin_note else ()
        title = f"flake8 + JS plugin overhead{suffix}"
        return Comparison(pair_id, "overhead", title, self.tree, candidate, reference, notes)

    def check(self, cache_root: Path | None = None) -> Comparison:
        """flake8-jobstate check vs ruff E,F,W: cold (both without a cache) or, with ``cache_root``, warm (both
        caches filled by an unmeasured first run). The caches live outside the tree's copy (``--cache-dir``),
        so the copy stays byte-identical."""
        tools = self.tools
        warm = cache_root is not None
        notes: list[str] = []
        candidate = reference = None
        if tools.cli is None or tools.check_note:
            notes.append(tools.check_note or f"{CLI_NAME} not found")
        else:
            flags = ["--cache-dir", str(cache_root / f"{self.tree.key}-jobstate")] if warm else ["--no-cache"]
            label = f"{CLI_NAME} check " + ("(warm cache)" if warm else "--no-cache")
            candidate = self.make("check-warm" if warm else "check", label, "candidate",
                                  [tools.cli, "check", *flags], prime=warm)
        if tools.ruff is None:
            notes.append("ruff executable not found")
        else:
            ruff_args = [a for a in RUFF_ARGS if a != "--no-cache"] + ["--cache-dir", str(cache_root / f"{self.tree.key}-ruff")] if warm else list(RUFF_ARGS)
            reference = self.make("ruff-warm" if warm else "ruff", "ruff check E,F,W" + (" (warm cache)" if warm else ""),
                                  "reference", [tools.ruff, *ruff_args], prime=warm)
        title = f"{CLI_NAME} check vs ruff " + ("(warm caches)" if warm else "(cold)")
        return Comparison("check-warm" if warm else "check", "slowdown", title, self.tree, candidate, reference,
                          tuple(notes))

    def fix(self) -> Comparison:
        """flake8-jobstate fix --diff vs libcst.tool running the same codemod class."""
        tools = self.tools
        notes: list[str] = []
        candidate = reference = None
        if tools.cli is None or tools.fix_note:
            notes.append(tools.fix_note or f"{CLI_NAME} not found")
        else:
            candidate = self.make(
                "fix", f"{CLI_NAME} fix --diff", "candidate", [tools.cli, "fix", "--diff", "--no-cache"],
                may_write=True,
            )  # fmt: skip
        if tools.codemod_note:
            notes.append(f"libcst.tool codemod skipped: {tools.codemod_note}")
        else:
            reference = self.make(
                "libcst", "libcst.tool codemod", "reference",
                [tools.python, *LIBCST_TOOL_ARGS, tools.codemod],
                ok_exit_codes=frozenset({0}), may_write=True,
            )  # fmt: skip
        title = f"{CLI_NAME} fix vs libcst.tool codemod"
        return Comparison("fix", "speedup", title, self.tree, candidate, reference, tuple(notes))


def build_comparisons(
    trees: Sequence[Tree], work: dict[str, WorkCopy], pair_ids: Sequence[str], tools: Toolchain,
    cache_root: Path,
) -> list[Comparison]:
    """Create the comparisons for every selected tree and pair id, in a stable order."""
    comparisons: list[Comparison] = []
    for tree in trees:
        factory = CommandFactory(tree, work[tree.key].root, tools)
        for pair_id in pair_ids:
            if tree.spec.pairs is not None and pair_id not in tree.spec.pairs:
                continue
            if pair_id in ("flake8-j1", "flake8-jobs"):
                comparisons.append(factory.flake8(pair_id))
            elif pair_id == "check":
                comparisons.append(factory.check())
            elif pair_id == "check-warm":
                comparisons.append(factory.check(cache_root))
            elif pair_id == "fix":
                comparisons.append(factory.fix())
    return comparisons


LIBCST_CONFIG = """\
# Written by benchmarks/run.py for libcst.tool; lives only in a temp directory.
generated_code_marker: "@generated"
formatter: []
blacklist_patterns: []
modules: []
repo_root: "."
"""


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Sample:
    """One timed execution."""

    wall_s: float
    cpu_s: float
    max_rss_kib: int
    exit_code: int
    output_lines: int
    diff_files: int
    js_findings: int


@dataclass
class Record:
    """All samples of one command, plus the first failure if it failed."""

    command: Command
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None
    stderr_tail: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stats:
    """Medians (and spread) over a command's samples."""

    n: int
    wall_s: float
    wall_min_s: float
    wall_max_s: float
    cpu_s: float
    rss_mib: float
    exit_codes: tuple[int, ...]
    output_lines: int
    diff_files: int
    js_findings: int

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Stats:
        walls = [s.wall_s for s in samples]
        last = samples[-1]
        return cls(
            n=len(samples),
            wall_s=statistics.median(walls),
            wall_min_s=min(walls),
            wall_max_s=max(walls),
            cpu_s=statistics.median(s.cpu_s for s in samples),
            rss_mib=statistics.median(s.max_rss_kib for s in samples) / 1024,
            exit_codes=tuple(sorted({s.exit_code for s in samples})),
            output_lines=last.output_lines,
            diff_files=last.diff_files,
            js_findings=last.js_findings,
        )


JS_FINDING = re.compile(rb":\d+:\d+: JS\d")


def run_once(command: Command, out_dir: Path, timeout: float) -> tuple[Sample, str | None, str]:
    """Run ``command`` once; return the sample, a failure reason (or None) and stderr."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", command.key)
    stdout_path, stderr_path = out_dir / f"{slug}.stdout", out_dir / f"{slug}.stderr"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command.argv,
            cwd=command.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # already reaped by wait4; keep Popen consistent
    stdout = stdout_path.read_bytes()
    stderr = stderr_path.read_text(errors="replace")
    sample = Sample(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_kib=usage.ru_maxrss,  # KiB on Linux
        exit_code=exit_code,
        output_lines=stdout.count(b"\n"),
        diff_files=sum(1 for line in stdout.splitlines() if line.startswith(b"+++ ")),
        js_findings=len(JS_FINDING.findall(stdout)),
    )
    failure: str | None = None
    if exit_code < 0:
        failure = f"killed by signal {-exit_code}" + (" (timeout)" if wall >= timeout else "")
    elif TRACEBACK_MARKER in stderr:
        failure = f"Python traceback on stderr (exit {exit_code})"
    elif exit_code not in command.ok_exit_codes:
        failure = f"exit code {exit_code}"
    return sample, failure, stderr


def measure(
    commands: Sequence[Command],
    work: dict[str, WorkCopy],
    repeat: int,
    out_dir: Path,
    timeout: float,
    loads: list[float] | None = None,
) -> dict[str, Record]:
    """Run all commands round-robin ``repeat`` times and collect the samples.

    Commands marked ``prime`` (warm-cache rows) run once, unmeasured, first. The 1-minute load average is
    sampled before every measured run into ``loads``.

    Each repetition runs every still-healthy command once; the starting point
    rotates by one command per repetition so no command always runs first
    (cold caches, CPU boost) or right after the same neighbour.  A command
    that fails is reported and not run again.
    """
    records = {command.key: Record(command) for command in commands}
    for command in commands:
        if command.prime:
            _, failure, stderr = run_once(command, out_dir, timeout)
            log(f"[prime] {command.key:<28} {'FAILED: ' + failure if failure else 'ok'}")
            if failure:
                records[command.key].failure = f"priming run: {failure}"
                records[command.key].stderr_tail = "\n".join(stderr.rstrip().splitlines()[-25:])
    for rep in range(repeat):
        healthy = [command for command in commands if records[command.key].failure is None]
        if not healthy:
            break
        shift = rep % len(healthy)
        for index, command in enumerate(healthy[shift:] + healthy[:shift], start=1):
            record = records[command.key]
            if loads is not None:
                try:
                    loads.append(os.getloadavg()[0])
                except OSError:
                    pass
            sample, failure, stderr = run_once(command, out_dir, timeout)
            status = f"FAILED: {failure}" if failure else f"exit {sample.exit_code}"
            log(
                f"[rep {rep + 1}/{repeat} {index:2d}/{len(healthy)}] {command.key:<28} "
                f"{sample.wall_s:8.2f} s {sample.max_rss_kib / 1024:8.1f} MiB  {status}"
            )
            if failure:
                record.failure = failure
                record.stderr_tail = "\n".join(stderr.rstrip().splitlines()[-25:])
                continue
            record.samples.append(sample)
            copy = work[command.key.partition(":")[0]]
            if command.may_write and copy.modified():
                record.warnings.append(
                    f"modified the corpus copy in repetition {rep + 1}; the copy was restored"
                )
                log(f"  warning: {command.key} modified its input tree; restoring the copy")
                copy.populate()
    return records


# --------------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class TargetSpec:
    """A performance goal evaluated on the matching comparison(s)."""

    describe: str
    pair_id: str
    metric: Literal["time", "cpu", "memory"]  # "time": wall time; "cpu": user + sys of the process tree
    threshold: float
    trees: tuple[str, ...] | None = None  # None: every measured tree


TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        describe="flake8 E,F,W,JS -j1 at most 10 % slower than flake8 E,F,W -j1",
        pair_id="flake8-j1", metric="time", threshold=0.10, trees=("airflow",),
    ),
    TargetSpec(
        describe="flake8 + plugin peak RSS at most 10 % above flake8 alone (-j1)",
        pair_id="flake8-j1", metric="memory", threshold=0.10, trees=("airflow",),
    ),
    TargetSpec(
        describe="flake8 + plugin peak RSS at most 20 % above flake8 alone (-j1)",
        pair_id="flake8-j1", metric="memory", threshold=0.20, trees=("aiplatform",),
    ),
    TargetSpec(
        describe=f"cold {CLI_NAME} check at most 4x the wall time of ruff E,F,W --no-cache",
        pair_id="check", metric="time", threshold=4.0, trees=("airflow",),
    ),
    TargetSpec(
        describe=f"cold {CLI_NAME} check at most 8x the wall time of ruff E,F,W --no-cache",
        pair_id="check", metric="time", threshold=8.0, trees=("aiplatform",),
    ),
    TargetSpec(
        describe=f"cold {CLI_NAME} check at most 2.5x the CPU time of ruff E,F,W --no-cache",
        pair_id="check", metric="cpu", threshold=2.5, trees=("airflow-sdist",),
    ),
    TargetSpec(
        describe=f"warm {CLI_NAME} check at most 2x the wall time of warm ruff E,F,W",
        pair_id="check-warm", metric="time", threshold=2.0,
    ),
    TargetSpec(
        describe=f"warm {CLI_NAME} check at most 2x the CPU time of warm ruff E,F,W",
        pair_id="check-warm", metric="cpu", threshold=2.0,
    ),
    TargetSpec(
        describe=f"{CLI_NAME} fix --diff at least 5x faster than libcst.tool codemod",
        pair_id="fix", metric="time", threshold=5.0,
    ),
)  # fmt: skip

# in-process attribution (benchmarks/attribute.py): the plugin's share of flake8 -j1, per tree
SHARE_TARGETS = {"airflow": 0.05, "aiplatform": 0.06}


def ratio(kind: PairKind, metric: str, candidate: float, reference: float) -> float:
    """The comparison's figure of merit: overhead fraction, slowdown or speedup."""
    if kind == "overhead":
        return (candidate - reference) / reference
    if kind == "speedup" and metric == "time":
        return reference / candidate
    return candidate / reference


def format_ratio(kind: PairKind, metric: str, value: float) -> str:
    if kind == "overhead":
        return f"{value * 100:+.1f} %"
    if kind == "speedup" and metric == "time":
        return f"{value:.2f}x faster"
    return f"{value:.2f}x"


def target_passes(target: TargetSpec, kind: PairKind, value: float) -> bool:
    if kind == "speedup" and target.metric in ("time", "cpu"):
        return value >= target.threshold
    return value <= target.threshold


def format_seconds(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def side_stats(command: Command | None, records: dict[str, Record]) -> Stats | None:
    if command is None:
        return None
    record = records[command.key]
    return Stats.of(record.samples) if record.samples and record.failure is None else None


def side_state(command: Command | None, records: dict[str, Record]) -> str:
    """Human status of one side of a comparison: ok / skipped / FAILED."""
    if command is None:
        return "skipped"
    record = records[command.key]
    if record.failure:
        return f"FAILED ({record.failure})"
    return "ok" if record.samples else "not run"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    code, head = quick_run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    if code != 0:
        return "unknown"
    _, dirty = quick_run(
        [
            "git",
            "-C",
            str(REPO_ROOT),
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "src",
            "pyproject.toml",
        ]
    )
    return head.strip() + (" (+ uncommitted changes in src/)" if dirty.strip() else "")


def load_average() -> str:
    """The 1/5/15-minute load averages, to spot runs disturbed by other work."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def environment_rows(tools: Toolchain, loads: tuple[str, str, str]) -> list[tuple[str, str]]:
    """Machine and tool-version facts for the report header."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ruff_version = last_line(quick_run([tools.ruff, "--version"])[1]) if tools.ruff else "not found"
    try:
        import matplotlib

        mpl = matplotlib.__version__
    except ImportError:
        mpl = "not installed (chart skipped)"
    return [
        ("CPU", cpu_model()),
        ("Cores", f"{os.cpu_count()} logical, {affinity} usable by this process"),
        ("Memory", memory_total()),
        ("Load average (1/5/15 min)", f"{loads[0]} before measuring, {loads[1]} after"),
        ("1-min load while measuring", loads[2]),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        (
            "Python",
            f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        ),
        (
            "flake8",
            f"{dist_version('flake8')} (pycodestyle {dist_version('pycodestyle')}, "
            f"pyflakes {dist_version('pyflakes')})",
        ),
        ("ruff", ruff_version),
        ("libcst", dist_version("libcst")),
        (
            CLI_NAME,
            dist_version(CLI_NAME) + f" (plugin entry point: {tools.plugin or 'not installed'})",
        ),
        ("Project revision", git_revision()),
        ("matplotlib", mpl),
    ]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(header), line(["---"] * len(header)), *(line(row) for row in rows)]


@dataclass(frozen=True)
class RunInfo:
    """Facts about the run itself, for the report header."""

    repeat: int
    quick: bool
    elapsed_s: float
    load_before: str
    load_after: str
    chart_note: str
    source_changed: bool = False
    load_during: str = "not sampled"


RESULT_COLUMNS = (
    "Comparison", "Tree", "Candidate", "Cand. s", "Reference", "Ref. s", "Time ratio",
    "Cand. CPU s", "Ref. CPU s", "CPU ratio",
    "Cand. peak MiB", "Ref. peak MiB", "Memory ratio", "Reps", "Status",
)  # fmt: skip
DETAIL_COLUMNS = (
    "Command", "Exact invocation (cwd = the tree's copy)", "Median wall s (min-max)",
    "Median CPU s", "Median peak MiB", "Exit codes", "stdout lines",
)  # fmt: skip
SOURCE_CHANGED_NOTE = (
    f"**{PACKAGE_NAME}'s source files changed while measuring** (an editable install being "
    "edited?): the candidate rows mix code versions. Rerun for clean numbers."
)
METHOD_NOTES = (
    "Commands run round-robin: each repetition runs every command once, and the start "
    "of the round rotates by one command per repetition.",
    "Each tree is copied to a fresh temporary directory and commands run there "
    "(cwd = the copy), so no project configuration is discovered and the cache is never "
    "written. `flake8 --isolated` and `ruff --isolated` ignore configuration files explicitly.",
    "The flake8 baseline runs through `benchmarks/_flake8_shim.py --hide JS`, which removes "
    "the JS plugin from flake8's plugin discovery: flake8 executes every installed checker "
    "whatever `--select` says, so `--select E,F,W` alone would still pay for the plugin.",
    "`libcst.tool codemod` runs with `-x` (external codemod class), `--no-format`, "
    "`--unified-diff=3` (print diffs, write nothing, like `fix --diff`) and its default job "
    "count (all cores); a temporary `.libcst.codemod.yaml` in the work directory pins its "
    "configuration.",
    'Exit codes 0 and 1 ("problems found") are accepted for linters; a Python traceback on '
    "stderr, a signal or any other exit code marks the command FAILED and it is not run again.",
)


def header_section(
    run: RunInfo, tools: Toolchain, trees: Sequence[Tree], timestamp: str
) -> list[str]:
    """Title, invocation, environment and corpus tables."""
    invocation = "python benchmarks/run.py" + (" --quick" if run.quick else "")
    if run.repeat != (1 if run.quick else 5):
        invocation += f" --repeat {run.repeat}"
    out = ["# flake8-jobstate benchmark results", ""]
    if run.quick:
        out += [
            "> **Quick smoke run** (`--quick`): one repetition, aiplatform tree only. "
            "Not suitable for judging the targets.",
            "",
        ]
    environment = environment_rows(tools, (run.load_before, run.load_after, run.load_during))
    corpus_rows = [
        (
            tree.key,
            f"`{tree.wheel.name}` (sha256 {tree.wheel_sha256[:12]}...)"
            + (" (source distribution)" if tree.spec.sdist else ""),
            ", ".join(f"`{path}`" for path in tree.paths),
            f"{tree.files:,}",
            f"{tree.lines:,}",
        )
        for tree in trees
    ]
    return [
        *out,
        f"Generated {timestamp} by `{invocation}` in {run.elapsed_s / 60:.1f} min: "
        f"{run.repeat} interleaved repetition(s); every figure is the median over them.",
        "",
        "## Environment",
        "",
        *markdown_table(["", ""], environment),
        "",
        "## Corpus",
        "",
        *markdown_table(["Tree", "Archive", "Measured paths", ".py files", "Lines"], corpus_rows),
        "",
    ]


def results_section(comparisons: Sequence[Comparison], records: dict[str, Record]) -> list[str]:
    """The main table: one row per comparison."""
    rows: list[list[str]] = []
    for comparison in comparisons:
        kind = comparison.kind
        cand = side_stats(comparison.candidate, records)
        ref = side_stats(comparison.reference, records)
        time_ratio = mem_ratio = cpu_ratio = "n/a"
        if cand and ref:
            time_ratio = format_ratio(kind, "time", ratio(kind, "time", cand.wall_s, ref.wall_s))
            cpu_ratio = format_ratio(kind, "time", ratio(kind, "time", cand.cpu_s, ref.cpu_s))
            mem_ratio = format_ratio(
                kind, "memory", ratio(kind, "memory", cand.rss_mib, ref.rss_mib)
            )
        cand_state = side_state(comparison.candidate, records)
        ref_state = side_state(comparison.reference, records)
        status = "ok" if cand_state == ref_state == "ok" else (
            f"candidate {cand_state}; reference {ref_state}"
        )  # fmt: skip
        rows.append([
            comparison.title,
            comparison.tree.key,
            comparison.candidate.label if comparison.candidate else "(skipped)",
            format_seconds(cand.wall_s) if cand else "-",
            comparison.reference.label if comparison.reference else "(skipped)",
            format_seconds(ref.wall_s) if ref else "-",
            time_ratio,
            format_seconds(cand.cpu_s) if cand else "-",
            format_seconds(ref.cpu_s) if ref else "-",
            cpu_ratio,
            f"{cand.rss_mib:.1f}" if cand else "-",
            f"{ref.rss_mib:.1f}" if ref else "-",
            mem_ratio,
            "/".join(str(stats.n) for stats in (cand, ref) if stats) or "0",
            status,
        ])  # fmt: skip
    return [
        "## Results",
        "",
        "Candidate = the flake8-jobstate side, reference = what it is compared with. "
        "Peak RSS is `ru_maxrss` from `os.wait4` "
        "(for multi-process runs: the largest single process).",
        "",
        *markdown_table(RESULT_COLUMNS, rows),
        "",
        "Time ratio: overhead rows give (candidate - reference) / reference; "
        "`check` gives candidate / reference; `fix` gives reference / candidate (speed-up). "
        "Memory ratio follows the same rule except for `fix`, where it is candidate / reference.",
        "",
    ]


def targets_section(comparisons: Sequence[Comparison], records: dict[str, Record]) -> list[str]:
    """PASS/FAIL verdict for every target on every tree it applies to."""
    rows: list[list[str]] = []
    for target in TARGETS:
        matching = [
            comparison
            for comparison in comparisons
            if comparison.pair_id == target.pair_id
            and (target.trees is None or comparison.tree.key in target.trees)
        ]
        if not matching:
            scope = ", ".join(target.trees) if target.trees else "all trees"
            rows.append([target.describe, scope, "-", "-", "not measured in this run"])
        for comparison in matching:
            cand = side_stats(comparison.candidate, records)
            ref = side_stats(comparison.reference, records)
            if not (cand and ref):
                verdict = "not measured (a side was skipped or failed)"
                rows.append([target.describe, comparison.tree.key, "-", "-", verdict])
                continue
            cpu_check = "-"
            if target.metric in ("time", "cpu"):
                wall = ratio(comparison.kind, "time", cand.wall_s, ref.wall_s)
                cpu = ratio(comparison.kind, "time", cand.cpu_s, ref.cpu_s)
                value = cpu if target.metric == "cpu" else wall
                measured = format_ratio(comparison.kind, "time", wall)
                cpu_check = format_ratio(comparison.kind, "time", cpu)
            else:
                value = ratio(comparison.kind, "memory", cand.rss_mib, ref.rss_mib)
                measured = format_ratio(comparison.kind, "memory", value)
            verdict = "PASS" if target_passes(target, comparison.kind, value) else "FAIL"
            judged = {"time": "wall", "cpu": "CPU", "memory": "peak RSS"}[target.metric]
            rows.append([target.describe, comparison.tree.key, measured, cpu_check, f"{verdict} ({judged})"])
    header = ["Target", "Tree", "Wall time (or peak RSS) ratio", "CPU-time ratio", "Verdict (judged on)"]
    return [
        "## Targets",
        "",
        *markdown_table(header, rows),
        "",
        "Each verdict is judged on the measure the target names (wall time, CPU time or peak RSS); the "
        "other column is the cross-check. CPU time (user + sys of the process and its workers, from "
        "`os.wait4`) is less sensitive to other load on the machine; for multi-process or multi-threaded "
        "tools (ruff, libcst.tool, flake8 without -j1) it measures total work rather than latency.",
        "",
    ]


@dataclass
class Attribution:
    """In-process attribution of flake8 -j1's time to the JS plugin (benchmarks/attribute.py), per tree."""

    tree: Tree
    totals: list[float] = field(default_factory=list)
    plugin: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    failure: str | None = None


def attribute_trees(trees: Sequence[Tree], work: dict[str, WorkCopy], repeat: int) -> list[Attribution]:
    """Run attribute.py's in-process flake8 ``repeat`` times per tree, interleaved across trees."""
    sys.path.insert(0, str(BENCH_DIR))
    try:
        from attribute import attribute_once  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    results = [Attribution(tree) for tree in trees]
    for rep in range(repeat):
        for result in results:
            if result.failure:
                continue
            try:
                total, plugin, share = attribute_once(result.tree.paths, cwd=str(work[result.tree.key].root))
            except (subprocess.CalledProcessError, ValueError) as exc:
                result.failure = f"{type(exc).__name__}: {exc}"
                continue
            result.totals.append(total)
            result.plugin.append(plugin)
            result.shares.append(share)
            log(f"[attribution {rep + 1}/{repeat}] {result.tree.key:<16} flake8 {total:6.2f} s, plugin "
                f"{plugin:5.2f} s = +{share * 100:.1f} %")
    return results


def attribution_section(results: Sequence[Attribution]) -> list[str]:
    if not results:
        return []
    rows = []
    for r in results:
        target = SHARE_TARGETS.get(r.tree.key)
        if r.failure or not r.shares:
            rows.append([r.tree.key, "-", "-", r.failure or "not run", "-", "-"])
            continue
        share = statistics.median(r.shares)
        verdict = "-" if target is None else ("PASS" if share <= target else "FAIL")
        rows.append([
            r.tree.key, format_seconds(statistics.median(r.totals)), format_seconds(statistics.median(r.plugin)),
            f"+{share * 100:.1f} % (range {min(r.shares) * 100:.1f}-{max(r.shares) * 100:.1f}, n={len(r.shares)})",
            "-" if target is None else f"<= {target * 100:.0f} %", verdict,
        ])  # fmt: skip
    return [
        "## Plugin share, attributed in-process",
        "",
        "`benchmarks/attribute.py`: one `flake8 --isolated --select E,F,W,JS -j1` run in one process, with the "
        "plugin's `run` wrapped in a timer; the share is the plugin's time (its import plus every `run`, which "
        "includes importing libcst for the first file that passes the prefilter) over the rest of flake8's "
        "time. Unlike the difference of two separate runs, this is not swamped by the machine's noise.",
        "",
        *markdown_table(["Tree", "flake8 E,F,W,JS -j1 s", "plugin s", "plugin share (median)", "target",
                         "verdict"], rows),
        "",
    ]


def notes_section(
    comparisons: Sequence[Comparison], records: dict[str, Record], run: RunInfo
) -> list[str]:
    """Why rows were skipped, corpus-modification warnings and failure details."""
    notes = [
        f"- {comparison.tree.key} / {comparison.pair_id}: {note}"
        for comparison in comparisons
        for note in comparison.notes
    ]
    notes += [
        f"- `{record.command.key}` {warning}"
        for record in records.values()
        for warning in record.warnings
    ]
    if run.source_changed:
        notes.append(f"- {SOURCE_CHANGED_NOTE}")
    if run.chart_note:
        notes.append(f"- {run.chart_note}")
    out = ["## Skipped rows and notes", "", *dict.fromkeys(notes), ""] if notes else []
    failures = [record for record in records.values() if record.failure]
    if failures:
        out += ["## Failures", ""]
    for record in failures:
        out += [
            f"### `{record.command.key}`: {record.failure}",
            "",
            f"`{record.command.display}`",
            "",
            "```",
            record.stderr_tail or "(empty stderr)",
            "```",
            "",
        ]
    return out


def details_section(records: dict[str, Record]) -> list[str]:
    """Per-command exact invocation, spread, CPU time, exit codes and output size."""
    rows: list[list[str]] = []
    for record in records.values():
        if not record.samples:
            rows.append([f"`{record.command.key}`", f"`{record.command.display}`", *["-"] * 5])
            continue
        stats = Stats.of(record.samples)
        output = f"{stats.output_lines:,}"
        if stats.js_findings:
            output += f" ({stats.js_findings:,} JS)"
        if stats.diff_files:
            output += f" ({stats.diff_files:,} file(s) in diff)"
        rows.append([
            f"`{record.command.key}`",
            f"`{record.command.display}`",
            f"{format_seconds(stats.wall_s)} "
            f"({format_seconds(stats.wall_min_s)}-{format_seconds(stats.wall_max_s)})",
            f"{stats.cpu_s:.2f}",
            f"{stats.rss_mib:.1f}",
            ",".join(map(str, stats.exit_codes)),
            output,
        ])  # fmt: skip
    return ["## Command details", "", *markdown_table(DETAIL_COLUMNS, rows), ""]


def write_markdown(
    path: Path,
    run: RunInfo,
    comparisons: Sequence[Comparison],
    records: dict[str, Record],
    trees: Sequence[Tree],
    tools: Toolchain,
    attributions: Sequence[Attribution] = (),
) -> None:
    """Write the results report."""
    timestamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        *header_section(run, tools, trees, timestamp),
        *results_section(comparisons, records),
        *targets_section(comparisons, records),
        *attribution_section(attributions),
        *notes_section(comparisons, records, run),
        *details_section(records),
        "## Method",
        "",
        *(f"- {note}" for note in METHOD_NOTES),
        "",
    ]
    path.write_text("\n".join(out))


def write_chart(
    path: Path,
    comparisons: Sequence[Comparison],
    records: dict[str, Record],
    repeat: int,
) -> str:
    """Draw the bar chart; return a note (empty on success) explaining any skip."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError:
        if path.exists():
            path.unlink()
        return f"matplotlib is not importable, so {path.name} was not written"

    bars: list[tuple[str, Role, Stats]] = []
    for comparison in comparisons:
        for command in (comparison.candidate, comparison.reference):
            stats = side_stats(command, records)
            if command is not None and stats is not None:
                bars.append((f"{comparison.tree.key} · {command.label}", command.role, stats))
    if not bars:
        if path.exists():
            path.unlink()
        return f"nothing was measured successfully, so {path.name} was not written"

    colors = {"candidate": "#1f77b4", "reference": "#a0a0a0"}
    bars = bars[::-1]  # barh draws bottom-up; keep the report's order top-down
    positions = list(range(len(bars)))
    figure, (time_axis, memory_axis) = plt.subplots(
        1, 2, figsize=(13, 1.8 + 0.36 * len(bars)), sharey=True, layout="constrained"
    )
    panels: list[tuple[Callable[[Stats], float], str, str]] = [
        (lambda s: s.wall_s, "median wall time, s (log scale)", "{:.2f} s"),
        (lambda s: s.rss_mib, "median peak RSS, MiB", "{:.0f} MiB"),
    ]
    # Thin separators between trees (the label prefix before " · ").
    tree_of = [label.partition(" · ")[0] for label, _, _ in bars]
    separators = [y - 0.5 for y in positions[1:] if tree_of[y] != tree_of[y - 1]]
    for axis, (value_of, xlabel, fmt) in zip((time_axis, memory_axis), panels, strict=True):
        values = [value_of(stats) for _, _, stats in bars]
        axis.barh(positions, values, color=[colors[role] for _, role, _ in bars])
        for y, value in zip(positions, values, strict=True):
            axis.annotate(
                fmt.format(value),
                (value, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        for boundary in separators:
            axis.axhline(boundary, color="black", linewidth=0.6, alpha=0.5)
        axis.set_xlabel(xlabel)
        axis.grid(axis="x", alpha=0.3)
        axis.margins(x=0.2)
    time_axis.set_xscale("log")
    time_axis.set_yticks(positions, [label for label, _, _ in bars], fontsize=8)
    figure.suptitle(f"flake8-jobstate benchmarks: median of {repeat} interleaved run(s)")
    figure.legend(
        [Patch(color=colors[role]) for role in ("candidate", "reference")],
        ["flake8-jobstate side (candidate)", "reference"],
        loc="outside lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return ""


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark flake8-jobstate against flake8, ruff and libcst.tool on a pinned "
        "real-world corpus fetched from PyPI.",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="N",
        help="interleaved repetitions per command (default 5, or 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 1 repetition, aiplatform tree only; writes results.quick.*",
    )
    parser.add_argument(
        "--trees",
        nargs="+",
        choices=[spec.key for spec in CORPUS],
        default=None,
        help="corpus trees to measure (default: all; aiplatform with --quick)",
    )
    parser.add_argument(
        "--pairs",
        nargs="+",
        choices=PAIR_IDS,
        default=list(PAIR_IDS),
        help="comparisons to run (default: all)",
    )
    parser.add_argument(
        "--codemod",
        default=DEFAULT_CODEMOD,
        metavar="MODULE.CLASS",
        help=f"codemod class given to libcst.tool (default {DEFAULT_CODEMOD})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        metavar="SECONDS",
        help="kill a single command after this long (default 900)",
    )
    parser.add_argument(
        "--output",
        default=None,
        metavar="NAME",
        help="report base name inside benchmarks/ (default results, results.quick with --quick)",
    )
    parser.add_argument(
        "--attribute",
        type=int,
        default=None,
        metavar="N",
        help="in-process plugin attribution runs per tree with flake8 rows (default: --repeat; 0: none)",
    )
    parser.add_argument(
        "--fetch-only",
        action="store_true",
        help="download and unpack the corpus, print its size, then stop",
    )
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.attribute is None:
        args.attribute = args.repeat
    if args.trees is None:
        args.trees = ["aiplatform"] if args.quick else [spec.key for spec in CORPUS]
    if args.output is None:
        args.output = "results.quick" if args.quick else "results"
    return args


def compile_package() -> None:
    """Byte-compile flake8-jobstate as ``pip install`` does for a regular install.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines) never writes ``.pyc``
    files, so every measured process would compile the package from source, a cost real users don't pay.
    """
    try:
        import flake8_jobstate
    except ImportError:
        return
    import compileall

    compileall.compile_dir(str(Path(flake8_jobstate.__file__).parent), quiet=1)
    log("byte-compiled flake8_jobstate (as a regular pip install would)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    specs = [spec for spec in CORPUS if spec.key in args.trees]
    trees = [prepare_tree(spec) for spec in specs]
    for tree in trees:
        log(
            f"corpus {tree.key}: {tree.spec.distribution} {tree.spec.version}, "
            f"{', '.join(tree.paths)}: {tree.files:,} files, {tree.lines:,} lines"
        )
    if args.fetch_only:
        return 0

    tools = discover_tools(args.codemod)
    compile_package()
    for note in (tools.plugin_note, tools.check_note, tools.fix_note, tools.codemod_note):
        if note:
            log(f"note: {note}")

    with tempfile.TemporaryDirectory(prefix="jobstate-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / ".libcst.codemod.yaml").write_text(LIBCST_CONFIG)
        out_dir = workdir / "_output"
        out_dir.mkdir()
        work = {tree.key: WorkCopy(tree, workdir / tree.key) for tree in trees}
        for copy in work.values():
            copy.populate()
        comparisons = build_comparisons(trees, work, args.pairs, tools, workdir / "_caches")
        commands = [
            c
            for comparison in comparisons
            for c in (comparison.candidate, comparison.reference)
            if c is not None
        ]
        log(f"measuring {len(commands)} commands x {args.repeat} repetition(s), interleaved")
        load_before, source_before = load_average(), package_fingerprint()
        loads: list[float] = []
        records = measure(commands, work, args.repeat, out_dir, args.timeout, loads)
        attributions: list[Attribution] = []
        flake8_trees = [t for t in trees if "flake8-j1" in args.pairs and (t.spec.pairs is None or "flake8-j1" in t.spec.pairs)]
        if args.attribute and tools.plugin and flake8_trees:
            log(f"attributing the plugin's share in-process: {args.attribute} run(s) per tree")
            attributions = attribute_trees(flake8_trees, work, args.attribute)
        load_after, source_after = load_average(), package_fingerprint()
    source_changed = source_before != source_after
    if source_changed:
        log(f"warning: {SOURCE_CHANGED_NOTE.replace('**', '')}")

    markdown_path = BENCH_DIR / f"{args.output}.md"
    chart_path = BENCH_DIR / f"{args.output}.png"
    chart_note = write_chart(chart_path, comparisons, records, args.repeat)
    elapsed = time.perf_counter() - started
    load_during = (
        f"median {statistics.median(loads):.2f}, min {min(loads):.2f}, max {max(loads):.2f} "
        f"(sampled before each of {len(loads)} measured runs)" if loads else "not sampled"
    )
    run = RunInfo(
        args.repeat, args.quick, elapsed, load_before, load_after, chart_note, source_changed, load_during
    )
    write_markdown(markdown_path, run, comparisons, records, trees, tools, attributions)
    log(
        f"wrote {shown(markdown_path)}"
        + (f" and {shown(chart_path)}" if not chart_note else f" ({chart_note})")
    )
    log(f"total time {elapsed / 60:.1f} min")
    failed = [record.command.key for record in records.values() if record.failure]
    if failed:
        log(f"FAILED commands: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
