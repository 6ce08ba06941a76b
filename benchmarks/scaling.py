#!/usr/bin/env python3
"""Time and peak memory of ``check`` / ``fix`` against input size, on generated worst cases (issue 12).

Each case generates inputs of growing size, runs the CLI on each in a child process and records wall time
(``time.perf_counter``) and peak memory (``ru_maxrss`` from ``os.wait4``, the child and its reaped workers).
A run over ``--timeout`` seconds is stopped and shown as such. The curve of a linear step is a straight line
through the origin; the table's last column (time per size unit, relative to the smallest input) stays flat
for linear cases and grows for super-linear ones.

    python benchmarks/scaling.py                       # this checkout's src/, writes results-scaling.md
    python benchmarks/scaling.py --src OTHER/src --label before --out /tmp/before.md
    python benchmarks/scaling.py --cases if-blocks --quick

Cases:

* ``big-file``      check on N lines of module-level code that all involve a state (nothing can be stubbed)
* ``fix-one``       fix --diff on one finding followed by N unrelated module-level lines
* ``if-blocks``     check on N module-level ``if job.state == K:`` blocks
* ``notebook``      fix --diff on a notebook with a finding in each of N cells
* ``or-chain``      fix --diff on one ``or`` chain of N state comparisons (correctness: fixed or a clear message)
* ``deep``          check on N nested parentheses / N-term ``or`` chains (a clear skip, never a crash)

Only the standard library is needed; matplotlib, when installed, also draws ``results-scaling.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
HEAD = (
    "from google.cloud.aiplatform_v1 import JobServiceClient, JobState\n\n"
    'job = JobServiceClient().get_custom_job(name="n")\n'
)


def big_file(n: int) -> tuple[str, str]:
    body = "".join(f"x{i} = job.state == JobState.JOB_STATE_SUCCEEDED or job.state == JobState.JOB_STATE_FAILED\n"
                   for i in range(n))
    return "a.py", HEAD + body


def fix_one(n: int) -> tuple[str, str]:
    return "a.py", HEAD + "if job.state == 4:\n    pass\n" + "".join(f"v{i} = {i}\n" for i in range(n))


def if_blocks(n: int) -> tuple[str, str]:
    return "a.py", HEAD + "".join(f"if job.state == {3 + i % 2}:\n    print({i})\n" for i in range(n))


def notebook(n: int) -> tuple[str, str]:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": [HEAD]}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": [f"if job.state == 4:\n", f"    print({i})\n"]} for i in range(n)]
    nb = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return "nb.ipynb", json.dumps(nb, indent=1)


def or_chain(n: int) -> tuple[str, str]:
    return "a.py", HEAD + "done = " + " or ".join(["job.state == 4"] * n) + "\n"


def deep(n: int) -> tuple[str, str]:
    return "a.py", HEAD + "v = " + "(" * n + "job.state == 4" + ")" * n + "\n"


# case -> (generator, sizes, quick sizes, command, unit)
CASES: dict[str, tuple[Callable[[int], tuple[str, str]], list[int], list[int], list[str], str]] = {
    "big-file": (big_file, [2_500, 5_000, 10_000], [1_000, 2_000], ["check"], "lines"),
    "fix-one": (fix_one, [2_500, 5_000, 10_000, 20_000], [1_000, 2_000], ["fix", "--diff"], "lines"),
    "if-blocks": (if_blocks, [1_000, 2_000, 4_000], [500, 1_000], ["check"], "blocks"),
    "notebook": (notebook, [250, 500, 1_000, 2_000], [100, 200], ["fix", "--diff"], "cells"),
    "or-chain": (or_chain, [100, 319, 320, 1_000], [319, 320], ["fix", "--diff"], "terms"),
    "deep": (deep, [100, 1_300, 5_000], [1_300], ["check"], "levels"),
}


def run_one(src: Path, command: list[str], name: str, text: str, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=str(src), PYTHONDONTWRITEBYTECODE="1")
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "flake8_jobstate.cli", *command, "-j", "1", name],
                                cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
        wall = time.perf_counter() - start
        # the child's peak RSS: RUSAGE_CHILDREN accumulates the max over every reaped child of this process
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    last = (err.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
    return {"seconds": wall, "rss_mb": rss_kb / 1024, "exit": None if timed_out else proc.returncode,
            "timeout": timed_out, "chars": len(text), "stderr": last[:120]}


def measure(src: Path, cases: list[str], quick: bool, timeout: float) -> list[dict]:
    rows = []
    for case in cases:
        gen, sizes, quick_sizes, command, unit = CASES[case]
        for n in quick_sizes if quick else sizes:
            name, text = gen(n)
            # a fresh interpreter per measurement: ru_maxrss of RUSAGE_CHILDREN is a running maximum
            res = json.loads(subprocess.run(
                [sys.executable, __file__, "--one", json.dumps([str(src), case, n]), "--timeout", str(timeout)],
                capture_output=True, text=True, check=True).stdout)
            res.update(case=case, size=n, unit=unit, command=" ".join(command))
            rows.append(res)
            print(f"{case:10} {n:>7} {unit:7} {res['seconds']:8.2f} s {res['rss_mb']:8.0f} MB exit={res['exit']}"
                  f"{' TIMEOUT' if res['timeout'] else ''}  {res['stderr'][:70]}", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict], label: str) -> str:
    out = [f"### {label}", "", "| case | command | size | chars | seconds | peak MB | s per unit (x smallest) | exit | last stderr line |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    first: dict[str, float] = {}
    for r in rows:
        per = r["seconds"] / r["size"]
        base = first.setdefault(r["case"], per)
        secs = f">{r['seconds']:.0f} (timeout)" if r["timeout"] else f"{r['seconds']:.2f}"
        out.append(f"| {r['case']} | `{r['command']}` | {r['size']:,} {r['unit']} | {r['chars']:,} | {secs} | "
                   f"{r['rss_mb']:.0f} | {per * 1000:.3f} ms ({per / base:.1f}x) | {r['exit']} | {r['stderr'].replace('|', '/')} |")
    return "\n".join(out) + "\n"


def chart(results: dict[str, list[dict]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cases = sorted({r["case"] for rows in results.values() for r in rows if r["case"] not in ("or-chain", "deep")})
    fig, axes = plt.subplots(2, len(cases), figsize=(4 * len(cases), 7), squeeze=False)
    for col, case in enumerate(cases):
        for label, rows in results.items():
            pts = [r for r in rows if r["case"] == case]
            xs = [r["size"] for r in pts]
            axes[0][col].plot(xs, [r["seconds"] for r in pts], marker="o", label=label)
            axes[1][col].plot(xs, [r["rss_mb"] for r in pts], marker="o", label=label)
        unit = next(r["unit"] for rows in results.values() for r in rows if r["case"] == case)
        axes[0][col].set_title(case)
        axes[0][col].set_ylabel("seconds")
        axes[1][col].set_ylabel("peak MB")
        axes[1][col].set_xlabel(unit)
        axes[0][col].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--src", action="append", default=None,
                   help="LABEL=PATH of a flake8_jobstate source tree (repeatable); default: this checkout's src")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    p.add_argument("--quick", action="store_true", help="two small sizes per case")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds per run (default 180)")
    p.add_argument("--out", default=str(HERE / "results-scaling.md"))
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        src, case, n = json.loads(args.one)
        gen, _, _, command, _ = CASES[case]
        name, text = gen(n)
        print(json.dumps(run_one(Path(src), command, name, text, args.timeout)))
        return 0
    sources = args.src or [f"this checkout={HERE.parent / 'src'}"]
    results: dict[str, list[dict]] = {}
    for item in sources:
        label, _, path = item.partition("=")
        results[label] = measure(Path(path or label).resolve(), args.cases.split(","), args.quick, args.timeout)
    text = ["# Scaling: time and peak memory against input size", "",
            f"Generated by `python benchmarks/scaling.py` on {os.cpu_count()} CPUs; one run per size, `-j 1`, "
            f"timeout {args.timeout:.0f} s. Wall times on a shared machine vary by +-30%; the shape of each "
            "curve (the last-but-two column) is what the table is for.", ""]
    text += [table(rows, label) for label, rows in results.items()]
    out = Path(args.out)
    if chart(results, out.with_suffix(".png")):
        text.append(f"![time and memory against size]({out.with_suffix('.png').name})\n")
    out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
