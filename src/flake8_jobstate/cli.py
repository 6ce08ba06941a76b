"""Standalone command line: ``flake8-jobstate check PATHS`` (minimal; see issue 4 for the full CLI)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Iterator, Optional, Sequence

from .engine import ParseError, analyze_source


def _files(paths: Sequence[str]) -> Iterator[str]:
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.endswith(".py"):
                        yield os.path.join(root, f)
        else:
            yield p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="flake8-jobstate")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="report findings")
    check.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    found = 0
    for path in _files(args.paths):
        try:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
            findings = analyze_source(source, path=path)
        except (OSError, UnicodeDecodeError, ParseError) as e:
            print(f"{path}: error: {e}", file=sys.stderr)
            return 2
        for f in findings:
            print(f"{path}:{f.line}:{f.col + 1}: {f.text}")
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
