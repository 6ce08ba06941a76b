"""The flake8 front end: ``Plugin(tree, lines, filename)`` registered as entry point ``JS``.

It parses ``"".join(lines)`` (flake8 already decoded the file, handled stdin and the BOM), runs the engine
and yields ``(line, col, "JSxxx message", type)``. It never crashes flake8: an unparsable file or an
internal error yields nothing (logged on flake8's logger), so flake8's other results are unaffected.
flake8 filters ``# noqa`` itself.

Only the prefilter is imported with this module: libcst, the resolver and the rules are imported by the
first file that passes it, so a run where no file mentions Vertex never pays for them (time or memory).
"""

from __future__ import annotations

import ast
import logging
import sys
from typing import Any, ClassVar, Iterator, Sequence

from . import __version__
from .config import DEFAULT, Config, ConfigError, build_config
from .errors import ParseError, Skipped
from .prefilter import prefilter

LOG = logging.getLogger("flake8.jobstate")

OPTIONS = (
    ("--jobstate-extra-modules", "Modules that re-export the Vertex enums, as MODULE or MODULE=v1beta1 (comma separated)."),
    ("--jobstate-state-attributes", "Attribute names that hold a state, as NAME or NAME=PipelineState / v1beta1.JobState."),
    ("--jobstate-terminal-states", "Extra states that end a wait (e.g. PAUSED), on top of the documented terminal states."),
)
SIZE_OPTION = ("--jobstate-max-file-size", "Skip (log) files longer than this many characters; 0: no limit (default 2000000).")


class Plugin:
    name = "flake8-jobstate"
    version = __version__
    config: ClassVar[Config] = DEFAULT

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for flag, help_text in OPTIONS:
            manager.add_option(flag, default="", parse_from_config=True, comma_separated_list=True, help=help_text)
        manager.add_option(SIZE_OPTION[0], default="", parse_from_config=True, help=SIZE_OPTION[1])

    @classmethod
    def parse_options(cls, options: Any) -> None:
        try:
            cls.config = build_config(
                getattr(options, "jobstate_extra_modules", None),
                getattr(options, "jobstate_state_attributes", None),
                getattr(options, "jobstate_terminal_states", None),
                getattr(options, "jobstate_max_file_size", None),
            )
        except ConfigError as e:
            raise SystemExit(f"flake8-jobstate: {e}") from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        source = "".join(self.lines)
        if not source.isascii() and self._skipped(source):
            return
        if not prefilter(source, self.config, self.filename):
            return
        try:
            from .engine import analyze_source

            findings = analyze_source(source, self.config, self.filename, self.tree)
        except Skipped as e:
            LOG.warning("flake8-jobstate: skipped %s: %s", self.filename, e)
            return
        except ParseError as e:
            LOG.warning("flake8-jobstate: skipped %s: cannot parse it (%s)", self.filename, e)
            return
        except Exception as e:  # noqa: BLE001 - never break the user's flake8 run
            LOG.warning("flake8-jobstate: internal error on %s: %s: %s", self.filename, type(e).__name__, e)
            return
        for f in findings:
            yield f.line, f.col, f.text, type(self)

    def _skipped(self, source: str) -> bool:
        """flake8 reads a file that is not valid UTF-8 (and has no coding cookie) as latin-1 and analyses it;
        Python cannot import it, and ``flake8-jobstate check`` skips it. Skip it here too, with the same
        message on stderr. Only a text flake8 may have read that way (non-ASCII, every character latin-1) is
        read again from disk."""
        if self.filename in ("stdin", "-") or not all(ch <= "\xff" for ch in source):
            return False
        from .files import undecodable

        try:
            with open(self.filename, "rb") as fh:
                reason = undecodable(fh.read())
        except OSError:
            return False
        if reason is None:
            return False
        message = f"flake8-jobstate: {self.filename}: skipped: {reason}"
        LOG.warning(message)
        print(message, file=sys.stderr)
        return True
