"""Attribute flake8's wall time to the JS plugin from inside one flake8 run.

On a shared or throttled machine the difference of two separate runs (with and without the plugin) can be
swamped by noise: the same baseline command varies by 10-20 % here. This script runs flake8 once, in
process, with the plugin's ``run`` wrapped in a timer, and reports the plugin's own time (its import plus
every ``run`` call) as a share of the rest of flake8's time:

    python benchmarks/attribute.py TREE [TREE ...] [--repeat N]

Median over ``--repeat`` runs (default 3). Uses ``--isolated --select E,F,W,JS -j1``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from typing import Optional, Sequence

_CHILD = r"""
import sys, time
t0 = time.perf_counter()
import flake8_jobstate.flake8_plugin as fp
imported = time.perf_counter() - t0
spent = [0.0]
original = fp.Plugin.run
def timed(self):
    t = time.perf_counter()
    out = list(original(self))
    spent[0] += time.perf_counter() - t
    return iter(out)
fp.Plugin.run = timed
from flake8.main.cli import main
t = time.perf_counter()
try:
    main(["--isolated", "--select", "E,F,W,JS", "-j1", "--output-file", "/dev/null", *sys.argv[1:]])
except SystemExit:
    pass
total = time.perf_counter() - t
print(total, spent[0], imported)
"""


def attribute_once(trees: Sequence[str], cwd: Optional[str] = None) -> tuple[float, float, float]:
    """One in-process flake8 run: (total s, the plugin's s (import + every run), its share over the rest)."""
    out = subprocess.run([sys.executable, "-c", _CHILD, *trees], capture_output=True, text=True, check=True, cwd=cwd)
    total, run, imported = map(float, out.stdout.split()[-3:])
    plugin = run + imported
    return total, plugin, plugin / (total - run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shares, plugin_s, total_s = [], [], []
    for _ in range(args.repeat):
        total, plugin, share = attribute_once(args.trees)
        shares.append(share)
        plugin_s.append(plugin)
        total_s.append(total)
    print(f"flake8 E,F,W,JS -j1: {statistics.median(total_s):.2f} s, of which the JS plugin "
          f"{statistics.median(plugin_s):.2f} s (import + run): +{statistics.median(shares) * 100:.1f} % over flake8 "
          f"E,F,W (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
