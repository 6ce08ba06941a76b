"""The standalone command line: ``flake8-jobstate check`` and ``flake8-jobstate fix``.

Exit codes: 0 clean / nothing to change; 1 findings (check) or files changed / would change (fix); 2 a usage,
configuration, read or parse error (other files are still processed and reported). Every error is one line
on stderr (``path: error: ...``); no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, NoReturn, Optional, Sequence

from . import __version__

PROG = "flake8-jobstate"
# Only files that need the engine reach the pool (the cache and the prefilter are answered in this process).
# Starting the workers costs about 0.4 s of CPU (interpreters, libcst): below this much source one process is
# as fast or faster, and does less work (measured on the Airflow provider's sdist: 28 such files, 1 MB).
SERIAL_BELOW = 2  # files
PARALLEL_FROM_BYTES = 2_000_000


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage + message)
        raise UsageError(f"{message} (see '{self.prog} --help')")


RULE_DOCS = "docs/rules.md in the flake8-jobstate repository (or: flake8-jobstate rule CODE)"
EXIT_CODES = {
    "check": "exit codes: 0 no findings; 1 findings (0 with --exit-zero); 2 usage, configuration, read or parse error",
    "fix": "exit codes: 0 nothing to change; 1 files changed (--diff/--check: would change, i.e. something fixable "
           "remains); 2 usage, configuration, read or parse error",
    "rule": "exit codes: 0 printed; 2 unknown rule code",
}


def _epilog(command: str) -> str:
    return f"{EXIT_CODES[command]}.\nrule documentation: {RULE_DOCS}."


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders ('-' reads stdin); default: .")
    g = p.add_argument_group("selection")
    g.add_argument("--select", default=None, metavar="CODES",
                   help="comma-separated rule codes or prefixes to report, e.g. JS1,JS202 (default: JS)")
    g.add_argument("--ignore", default=None, metavar="CODES", help="comma-separated codes or prefixes not to report")
    g.add_argument("--extend-ignore", default=None, metavar="CODES", help="codes added to the ignore list")
    g.add_argument("--exclude", default=None, metavar="GLOBS",
                   help="comma-separated globs replacing the default excludes")
    g.add_argument("--extend-exclude", default=None, metavar="GLOBS", help="comma-separated globs added to the excludes")
    g = p.add_argument_group("enum options (as the flake8 --jobstate-* options)")
    g.add_argument("--extra-modules", "--jobstate-extra-modules", dest="extra_modules", default=None,
                   metavar="MODULE[=v1beta1],...",
                   help="modules of yours that re-export the Vertex enums, e.g. mypkg.states or mypkg.beta=v1beta1")
    g.add_argument("--state-attributes", "--jobstate-state-attributes", dest="state_attributes", default=None,
                   metavar="NAME[=ENUM],...",
                   help="attribute names that hold a state wherever they appear; ENUM: JobState (default), "
                        "PipelineState, v1beta1.JobState or v1beta1.PipelineState")
    g.add_argument("--terminal-states", "--jobstate-terminal-states", dest="terminal_states", default=None,
                   metavar="STATE,...",
                   help="states that also end a wait, on top of the terminal ones; only states that can end a job: "
                        "PAUSED (or a terminal state), with or without the JOB_STATE_ prefix")
    g = p.add_argument_group("running")
    g.add_argument("--config", default=None, metavar="PYPROJECT",
                   help="read [tool.flake8-jobstate] from this pyproject.toml")
    g.add_argument("--isolated", action="store_true", help="ignore pyproject.toml files")
    g.add_argument("--stdin-filename", default=None, metavar="NAME",
                   help="with the path '-': the name shown for stdin (.ipynb: read a notebook)")
    g.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    g.add_argument("--max-file-size", "--jobstate-max-file-size", dest="max_file_size", default=None,
                   metavar="CHARS", help="skip (and report) files longer than this; 0: no limit (default 2000000)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    g.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="where the cache lives (default: .flake8_jobstate_cache next to pyproject.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Find (and fix) misuse of Vertex AI JobState / PipelineState.",
                     epilog=f"'{PROG} COMMAND --help' lists a command's options and exit codes.\n"
                            f"rule documentation: {RULE_DOCS}.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,fix,rule}", parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter
    check = sub.add_parser("check", help="report findings", epilog=_epilog("check"), formatter_class=raw)
    _common(check)
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text",
                       help="text: path:line:col: CODE message (flake8's); json: findings and errors; sarif: SARIF "
                            "2.1.0 for code scanning; github: Actions annotations (default: text)")
    check.add_argument("--output-file", "-o", default=None, metavar="FILE",
                       help="write the report here instead of stdout")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    fix = sub.add_parser("fix", help="apply fixes (safe ones; --unsafe-fixes for all)", epilog=_epilog("fix"),
                         formatter_class=raw,
                         description="Apply the fixes the findings announce: '(fix available)' ones, and with "
                                     "--unsafe-fixes '(unsafe fix available)' ones; then print what was fixed and "
                                     "what is left, per code.")
    _common(fix)
    mode = fix.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    fix.add_argument("--unsafe-fixes", action="store_true", default=None, help="also apply behaviour-changing fixes")
    rule = sub.add_parser("rule", help="print a rule's documentation", epilog=_epilog("rule"), formatter_class=raw)
    rule.add_argument("code", nargs="?", metavar="CODE", help="a rule code, e.g. JS202")
    rule.add_argument("--all", action="store_true", help="print every rule's documentation")
    return parser


def cmd_rule(args: argparse.Namespace) -> int:
    from .docs import rule_page
    from .rules import iter_rules

    rules = {r.code: r for r in iter_rules()}
    if args.all:
        chosen = list(rules.values())
    elif args.code:
        r = rules.get(args.code.upper())
        if r is None:
            raise UsageError(f"unknown rule code {args.code!r} (known: {', '.join(rules)})")
        chosen = [r]
    else:
        raise UsageError("give a rule code (e.g. JS202) or --all")
    sys.stdout.write("\n".join("\n".join(rule_page(r)).rstrip() + "\n" for r in chosen))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# workers


_SETTINGS = None


def _init_worker(settings) -> None:  # noqa: ANN001
    global _SETTINGS
    _SETTINGS = settings


def _check_worker(path: str):  # noqa: ANN202
    from .files import check_file

    return check_file(path, _SETTINGS)  # type: ignore[arg-type]


def _fix_worker(item: tuple[str, str]):  # noqa: ANN202
    from .files import fix_file

    path, mode = item
    return fix_file(path, _SETTINGS, mode)  # type: ignore[arg-type]


def _size(item: object) -> int:
    path = item[0] if isinstance(item, tuple) else item
    try:
        return os.path.getsize(path) if isinstance(path, str) else 0
    except OSError:
        return 0


def _run_all(items: list, worker: Callable, settings, jobs: Optional[int]) -> list:  # noqa: ANN001
    """Results in input order; a process pool for many files, this process for few (or if the pool fails).
    A file whose worker process dies gets that as its error; the other files are unaffected."""
    from .files import FileResult
    from .pool import Crashed, run

    n = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    if n > 1 and len(items) >= SERIAL_BELOW and sum(map(_size, items)) >= PARALLEL_FROM_BYTES:
        try:
            # biggest files first, one at a time: a few large modules dominate, and a chunk of them on one
            # worker would leave the other idle; results go back to input order
            order = sorted(range(len(items)), key=lambda i: -_size(items[i]))
            results = run(items, worker, _init_worker, (settings,), n, order)
            for i, r in enumerate(results):
                if isinstance(r, Crashed):
                    path = items[i][0] if isinstance(items[i], tuple) else items[i]
                    results[i] = FileResult(path, errors=[f"skipped: the analysis crashed ({r.how})"])
            return results
        except (OSError, RuntimeError, ImportError) as e:
            print(f"{PROG}: warning: parallel run failed ({type(e).__name__}); continuing serially", file=sys.stderr)
    _init_worker(settings)
    return [worker(i) for i in items]


# ---------------------------------------------------------------------------------------------------------------


def _options(args: argparse.Namespace) -> dict:
    return {
        "extra_modules": args.extra_modules,
        "state_attributes": args.state_attributes,
        "terminal_states": args.terminal_states,
        "max_file_size": args.max_file_size,
        "select": args.select,
        "ignore": args.ignore,
        "extend_ignore": args.extend_ignore,
        "exclude": args.exclude,
        "extend_exclude": args.extend_exclude,
        "unsafe_fixes": getattr(args, "unsafe_fixes", None),
    }


def _settings(args: argparse.Namespace):  # noqa: ANN202
    from .settings import build_settings

    paths = args.paths or ["."]
    return build_settings(_options(args), paths, config_file=args.config, isolated=args.isolated)


def _cached(args: argparse.Namespace, settings, files: list[str], compute: Callable[[list[str]], list],  # noqa: ANN001
            on_hit: Callable) -> list:
    """Results for ``files`` in order. The cheap decisions are made here, in this process: a persistent-cache
    entry that still holds (``on_hit(path, data, raw)``; None means "not enough, compute it"), or the
    prefilter rejecting the text (nothing to report, nothing to fix). Only the rest goes to
    ``compute(misses)`` (the engine, maybe in worker processes); new entries are stored for the next run."""
    from .files import FileResult, is_notebook, prefiltered_out, read_bytes, ReadError

    cache = None
    if not args.no_cache:
        from .cache import open_cache

        cache = open_cache(args.paths or ["."], settings.config, args.cache_dir or settings.cache_dir,
                           settings.config_file)
    results: list = [None] * len(files)
    todo: list[int] = []
    for i, path in enumerate(files):
        res = None
        if not is_notebook(path):
            try:
                data = read_bytes(path)
            except ReadError:
                data = None  # the worker reports it
            raw = cache.lookup(path, data) if cache is not None and data is not None else None
            if raw is not None:
                res = on_hit(path, data, raw)
            elif data is not None:
                entry = prefiltered_out(data, settings, with_entry=cache is not None, path=path)
                if entry is not None:
                    res = FileResult(path)
                    if cache is not None and entry is not True:
                        cache.store(path, entry)
        if res is None:
            todo.append(i)
        else:
            results[i] = res
    for i, res in zip(todo, compute([files[i] for i in todo]) if todo else []):
        results[i] = res
        if cache is not None and res.entry is not None and not res.changed:
            cache.store(files[i], res.entry)
    if cache is not None:
        cache.save()
    return results


def _stdin_bytes() -> bytes:
    return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")


def cmd_check(args: argparse.Namespace) -> int:
    from . import formats
    from .files import check_cached, check_file, collect

    settings = _settings(args)
    paths = args.paths or ["."]
    if paths.count("-") and len(paths) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    results: list[FileResult] = []
    if paths == ["-"]:
        display = args.stdin_filename or "stdin"
        if settings.excluded(display) and args.stdin_filename:
            results = []
        else:
            results = [check_file(display, settings, display=display, stdin=_stdin_bytes())]
    else:
        files, results = collect(paths, settings)
        results += _cached(args, settings, files, lambda todo: _run_all(todo, _check_worker, settings, args.jobs),
                           lambda path, data, raw: check_cached(path, settings, data, raw))

    out_text: str
    if args.format == "json":
        out_text = formats.to_json(results)
    elif args.format == "sarif":
        out_text = formats.to_sarif(results)
    elif args.format == "github":
        out_text = "".join(line + "\n" for line in formats.github_lines(results))
    else:
        out_text = "".join(line + "\n" for line in formats.text_lines(results))
    if args.output_file:
        try:
            with open(args.output_file, "w", encoding="utf-8") as fh:
                fh.write(out_text)
        except OSError as e:
            raise UsageError(f"--output-file: cannot write {args.output_file}: {e.strerror or e}") from None
    else:
        sys.stdout.write(out_text)
        sys.stdout.flush()
    for line in formats.error_lines(results):  # also inside the json/sarif documents
        print(line, file=sys.stderr)
    if any(r.errors for r in results):
        return 2
    if any(r.records for r in results) and not args.exit_zero:
        return 1
    return 0


def cmd_fix(args: argparse.Namespace) -> int:
    from .files import CHECK, DIFF, WRITE, collect, fix_cached, fix_file
    from .formats import fix_summary

    settings = _settings(args)
    mode = DIFF if args.diff else CHECK if args.check else WRITE
    paths = args.paths or ["."]
    if paths.count("-") and len(paths) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    if paths == ["-"]:
        display = args.stdin_filename or "stdin"
        data = _stdin_bytes()
        res = fix_file(display, settings, mode, display=display, stdin=data)
        for e in res.errors:
            print(f"{res.path}: error: {e}", file=sys.stderr)
        if mode == DIFF:
            sys.stdout.write(res.diff)
        elif mode == WRITE:
            out = res.output if res.output is not None else data
            sys.stdout.buffer.write(out) if hasattr(sys.stdout, "buffer") else sys.stdout.write(out.decode())
        sys.stdout.flush()
        return 2 if res.errors else 1 if res.changed else 0
    files, results = collect(paths, settings)
    results += _cached(args, settings, files,
                       lambda todo: _run_all([(f, mode) for f in todo], _fix_worker, settings, args.jobs),
                       lambda path, data, raw: fix_cached(path, settings, data, raw))
    changed = 0
    for res in results:
        for e in res.errors:
            print(f"{res.path}: error: {e}", file=sys.stderr)
        for w in res.warnings:
            print(f"{res.path}: warning: {w}", file=sys.stderr)
        if not res.changed:
            continue
        changed += 1
        codes = ", ".join(sorted({c for c, _, _ in res.fixed})) or "fixes"
        if mode == DIFF:
            sys.stdout.write(res.diff)
        elif mode == CHECK:
            print(f"would fix {res.path} ({len(res.fixed)}: {codes})")
        else:
            print(f"fixed {res.path} ({len(res.fixed)}: {codes})", file=sys.stderr)
    sys.stdout.flush()
    summary = fix_summary(results, written=mode == WRITE)
    if summary:
        files = f" ({changed} file{'s' * (changed != 1)} {'changed' if mode == WRITE else 'would change'})" if changed else ""
        print(f"{PROG}: {summary}{files}", file=sys.stderr)
    if any(r.errors for r in results):
        return 2
    return 1 if changed else 0


def _validate(args: argparse.Namespace) -> None:
    """Combinations argparse cannot check; each mistake is one UsageError naming the flag."""
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    paths = args.paths or ["."]
    if args.stdin_filename is not None and "-" not in paths:
        raise UsageError("--stdin-filename names the text read from stdin: give '-' as the path")
    out = getattr(args, "output_file", None)
    if out is not None:
        folder = os.path.dirname(os.path.abspath(out))
        if os.path.isdir(out):
            raise UsageError(f"--output-file: {out} is a directory")
        if not os.path.isdir(folder):
            raise UsageError(f"--output-file: cannot write {out}: no such directory {folder}")
        if not os.access(folder, os.W_OK) or (os.path.exists(out) and not os.access(out, os.W_OK)):
            raise UsageError(f"--output-file: cannot write {out}: permission denied")


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .config import ConfigError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"a command is required: check, fix or rule (see '{PROG} --help')")
        if args.command == "rule":
            return cmd_rule(args)
        _validate(args)
        return cmd_check(args) if args.command == "check" else cmd_fix(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as e:  # --help / --version
        return int(e.code) if isinstance(e.code, int) else 0
    except Exception as e:  # noqa: BLE001 - never a traceback
        msg = str(e).strip().splitlines()
        print(f"{PROG}: error: internal error: {type(e).__name__}: {msg[0] if msg else ''}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
