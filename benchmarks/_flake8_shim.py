"""Launch flake8 with some installed plugins hidden from plugin discovery.

flake8 runs *every* installed checker plugin on every file and only filters the
reported codes afterwards, so ``flake8 --select E,F,W`` with flake8-jobstate
installed still pays for the JS checker.  A true "flake8 without the plugin"
baseline therefore has to stop flake8 from discovering the plugin at all, and
this launcher does exactly that::

    python _flake8_shim.py --hide JS -- --select E,F,W -j1 TREE

Everything after ``--`` is passed to flake8 unchanged.  ``--hide`` may be given
several times; each value is a ``flake8.extension`` entry-point name.  Without
``--hide`` the launcher behaves like plain ``python -m flake8``, which is how
run.py invokes the "with plugin" side so both sides share the same start-up
path.

The hook replaces ``flake8.plugins.finder._find_importlib_plugins`` (flake8 >= 5),
the single function that enumerates entry-point plugins.  If a future flake8
drops that function the launcher fails loudly instead of silently measuring
the wrong thing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def _split_argv(argv: Sequence[str]) -> tuple[frozenset[str], list[str]]:
    """Split ``[--hide NAME]... -- FLAKE8_ARGS`` into hidden names and flake8 args."""
    hidden: set[str] = set()
    args = list(argv)
    while args and args[0] != "--":
        option = args.pop(0)
        if option == "--hide" and args:
            hidden.add(args.pop(0))
        elif option.startswith("--hide="):
            hidden.add(option.partition("=")[2])
        else:
            raise SystemExit(f"_flake8_shim: unexpected argument {option!r} before '--'")
    if args and args[0] == "--":
        args.pop(0)
    return frozenset(hidden), args


def _hide_plugins(hidden: frozenset[str]) -> None:
    """Patch flake8's entry-point discovery so plugins named in ``hidden`` vanish."""
    from flake8.plugins import finder  # type: ignore[import-untyped]

    original: Callable[[], Iterator[Any]] | None = getattr(finder, "_find_importlib_plugins", None)
    if original is None:
        raise SystemExit(
            "_flake8_shim: this flake8 has no flake8.plugins.finder._find_importlib_plugins;"
            " cannot build a plugin-free baseline"
        )

    def filtered() -> Iterator[Any]:
        for plugin in original():
            entry_point = plugin.entry_point
            if entry_point.group == "flake8.extension" and entry_point.name in hidden:
                continue
            yield plugin

    finder._find_importlib_plugins = filtered


def main(argv: Sequence[str]) -> int:
    """Run flake8 with the requested plugins hidden and return its exit code."""
    hidden, flake8_args = _split_argv(argv)
    if hidden:
        _hide_plugins(hidden)
    from flake8.main import cli  # type: ignore[import-untyped]

    return int(cli.main(flake8_args))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
