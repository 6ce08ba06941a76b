#!/usr/bin/env python3
"""Fault campaign: the project's fixtures mutated into hostile files, run through flake8, ``check`` and ``fix``.

Mutations (each alone, on every fixture, and as notebooks): CRLF and CR line ends, form feeds in
indentation and before statements, tabs mixed into indentation, a UTF-8 BOM, a NUL byte, latin-1 and UTF-16
coding cookies, lone backslash lines, strings holding characters ``str.splitlines`` breaks at, and deep
nesting (brackets, ``or`` chains, unary chains). Counted: crashes (a signal, a traceback, an "internal
error"), skips by reason, files Python accepts that the tool did not analyse, fixed files that no longer
compile, and fixed files whose bytes changed beyond the fixes' replacements.

    python benchmarks/campaign.py               # every mutation of every fixture, in a temporary folder
    python benchmarks/campaign.py --limit 200   # the first 200 generated files
    JOBSTATE_CAMPAIGN=1 pytest tests/test_hostile.py -k campaign   # the same, as a test (exit status)
"""

from __future__ import annotations

import argparse
import ast
import collections
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
SPLITLINES_CHARS = ["\x0c", "\x0b", "\x1c", "\x85", "\u2028"]


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def _indent_mut(text: str, f: Callable[[str], str]) -> str:
    out = []
    for line in _lines(text):
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        out.append(f(indent) + body if indent and body.strip() else line)
    return "".join(out)


# name -> (text mutation or None, bytes mutation or None)
MUTATIONS: dict[str, Callable[[str], bytes]] = {
    "crlf": lambda t: t.replace("\n", "\r\n").encode(),
    "cr": lambda t: t.replace("\n", "\r").encode(),
    "ff-indent": lambda t: _indent_mut(t, lambda i: "\x0c" + i).encode(),
    "ff-ff-before": lambda t: "".join("\x0c\x0c" + ln if not ln.startswith((" ", "\t")) and ln.strip() else ln
                                      for ln in _lines(t)).encode(),
    "tabs": lambda t: _indent_mut(t, lambda i: "\t" * (len(i) // 8) + " " * (len(i) % 8)).encode(),
    "bom": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "nul": lambda t: t.encode() + b"\x00\n",
    "latin1-cookie": lambda t: ("# -*- coding: latin-1 -*-\n" + t + "# caf\xe9\n").encode("latin-1", "replace"),
    "utf16-cookie": lambda t: ("# -*- coding: utf-16 -*-\n" + t).encode("utf-16"),
    "lone-backslash": lambda t: (t + "\\\r\n").replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode(),
    **{f"string-{ord(c):x}": (lambda c: lambda t: (f"X = 'a{c}# flake8: noqa'\n" + t).encode())(c)
       for c in SPLITLINES_CHARS},
    "deep-parens": lambda t: (t + "v = " + "(" * 1300 + "1" + ")" * 1300 + "\n").encode(),
    "deep-or": lambda t: (t + "v = " + " or ".join(["x"] * 6000) + "\n").encode(),
    "deep-neg": lambda t: (t + "v = " + "-" * 5000 + "1\n").encode(),
}


def fixtures() -> list[Path]:
    return sorted(p for p in (ROOT / "fixtures").rglob("*.py") if "codemod" not in p.parts or p.name.endswith(".before.py"))


def notebook(text: str) -> bytes:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": text.splitlines(keepends=True)}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def generate(folder: Path, limit: int) -> Iterator[tuple[Path, str]]:
    n = 0
    for fx in fixtures():
        text = fx.read_text(encoding="utf-8")
        for name, mut in MUTATIONS.items():
            if n >= limit:
                return
            stem = f"{fx.stem}__{name}"
            (folder / f"{stem}.py").write_bytes(mut(text))
            n += 1
            yield folder / f"{stem}.py", name
            if name in ("crlf", "ff-indent", "tabs", "string-c", "deep-or") and n < limit:
                data = mut(text)
                try:
                    (folder / f"{stem}.ipynb").write_bytes(notebook(data.decode("utf-8")))
                except UnicodeDecodeError:
                    continue
                n += 1
                yield folder / f"{stem}.ipynb", name + "-notebook"


def _where(line: str) -> str:
    """``path:line:col: CODE`` of a report line."""
    head, _, rest = line.partition(": ")
    return f"{head}: {rest.split(' ')[0]}"


def flake8_reads(path: Path) -> bool:
    """flake8 reads with universal newlines and builds its own ``ast`` (a final lone backslash line becomes a
    syntax error, E999; the deep-unary files stop it with a RecursionError): those are not comparable."""
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        ast.parse(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=None).read())
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def python_accepts(path: Path) -> bool:
    if path.suffix != ".py":
        return False  # notebooks: cells are judged one by one by the tool itself
    try:
        compile(path.read_bytes(), str(path), "exec", ast.PyCF_ONLY_AST)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))


def campaign(limit: int, keep: bool = False) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="jobstate-campaign-"))
    try:
        files = dict(generate(folder, limit))
        stats: dict = {"files": len(files), "notebooks": sum(1 for p in files if p.suffix == ".ipynb"),
                       "mutations": dict(collections.Counter(m for m in files.values()))}
        crashes: list[str] = []
        # the plugin (flake8, one process per run, all files)
        # (flake8 itself dies with a RecursionError on some files Python's parser takes: those are left out)
        pyfiles = sorted(p.name for p in files if p.suffix == ".py" and python_accepts(p) and flake8_reads(p))
        r = run([sys.executable, "-m", "flake8", "--select", "JS", "-j", "2", *pyfiles], folder)
        if r.returncode not in (0, 1) or "Traceback" in r.stderr:
            crashes.append(f"flake8 exit {r.returncode}: {r.stderr.strip()[-300:]}")
        flake8_lines = {_where(ln) for ln in r.stdout.splitlines()}
        stats["flake8_findings"] = len(flake8_lines)
        # check
        r = run([sys.executable, "-m", "flake8_jobstate.cli", "check", "-j", "2", "."], folder)
        if r.returncode not in (0, 1, 2) or "Traceback" in r.stderr:
            crashes.append(f"check exit {r.returncode}: {r.stderr.strip()[-300:]}")
        errors = [ln for ln in r.stderr.splitlines() if ": error: " in ln]
        crashes += [ln for ln in errors if "internal error" in ln or "crashed" in ln]
        reasons = collections.Counter(re.sub(r"\d[\d,]*", "N", ln.split(": error: ", 1)[1])[:70] for ln in errors)
        stats["check_findings"] = len(r.stdout.splitlines())
        check_lines = {_where(ln[2:]) for ln in r.stdout.splitlines()
                       if ln.startswith("./") and ln[2:].split(":")[0] in set(pyfiles)}
        stats["check_vs_flake8_differences"] = sorted(check_lines ^ flake8_lines)
        stats["check_skips"] = dict(reasons.most_common())
        unanalysed = sorted(ln.split(": error: ")[0] for ln in errors
                            if "cannot parse" in ln and python_accepts(folder / ln.split(": error: ")[0]))
        stats["python_accepts_but_not_analysed"] = unanalysed
        # fix (on a copy), then: every fixed .py that compiled still compiles, and a second fix changes nothing
        before = {p: p.read_bytes() for p in files}
        r = run([sys.executable, "-m", "flake8_jobstate.cli", "fix", "-j", "2", "."], folder)
        if r.returncode not in (0, 1, 2) or "Traceback" in r.stderr:
            crashes.append(f"fix exit {r.returncode}: {r.stderr.strip()[-300:]}")
        crashes += [ln for ln in r.stderr.splitlines() if "internal error" in ln or "crashed" in ln]
        changed = [p for p in files if p.read_bytes() != before[p]]
        broken = [p.name for p in changed if p.suffix == ".py" and python_accepts_bytes(before[p])
                  and not python_accepts(p)]
        stats["fixed_files"] = len(changed)
        stats["fixed_files_that_no_longer_compile"] = broken
        r = run([sys.executable, "-m", "flake8_jobstate.cli", "fix", "--check", "-j", "2", "."], folder)
        stats["second_fix_would_change"] = [ln for ln in r.stdout.splitlines() if ln.startswith("would fix")]
        stats["crashes"] = crashes
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".jobstate-tmp")]
        stats["temp_files_left"] = leftovers
        return stats
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def python_accepts_bytes(data: bytes) -> bool:
    try:
        compile(data, "<x>", "exec", ast.PyCF_ONLY_AST)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=10**9, help="at most this many generated files")
    p.add_argument("--keep", action="store_true", help="keep the generated folder (its path is printed)")
    args = p.parse_args()
    stats = campaign(args.limit, args.keep)
    print(json.dumps(stats, indent=2))
    bad = stats["crashes"] or stats["fixed_files_that_no_longer_compile"] or stats["temp_files_left"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
