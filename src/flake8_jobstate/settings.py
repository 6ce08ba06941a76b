"""What the standalone front ends (CLI, codemod) decide before and after the engine runs.

* ``[tool.flake8-jobstate]`` from the nearest ``pyproject.toml``;
* ``--select`` / ``--ignore`` with flake8's prefix semantics (the longest matching prefix wins, a tie ignores);
* ``# noqa`` with flake8's semantics (bare: everything on the line; ``# noqa: JS101,E501``: those codes and codes
  that start with them; the comment is looked for on every physical line of a multi-line token, as flake8 does);
  ``# flake8: noqa`` on a line of its own skips the file;
* excludes (globs on path components or on the relative path), honoured for explicitly named files too.

The engine never sees any of this: it reports everything, the front ends filter.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from .config import DEFAULT, OPTION_NAMES, Config, ConfigError, build_config, split_values
from .text import split_lines

TABLE = "flake8-jobstate"

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".flake8_jobstate_cache",
    ".ipynb_checkpoints",
    "node_modules",
    "build",
    "dist",
)

# key in [tool.flake8-jobstate] -> Settings field. The flake8 option names (``jobstate-...``) are accepted too.
_KEYS = {
    "extra-modules": "extra_modules",
    "state-attributes": "state_attributes",
    "terminal-states": "terminal_states",
    "select": "select",
    "ignore": "ignore",
    "extend-ignore": "extend_ignore",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "unsafe-fixes": "unsafe_fixes",
    "max-file-size": "max_file_size",
    "cache-dir": "cache_dir",
}


@dataclass(frozen=True)
class Settings:
    """Everything a front end needs besides the paths; picklable (sent once to each worker process)."""

    config: Config = DEFAULT
    select: tuple[str, ...] = ("JS",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    root: str = field(default_factory=os.getcwd)  # excludes and displayed paths are relative to this
    unsafe_fixes: bool = False
    config_file: Optional[str] = None
    cache_dir: Optional[str] = None  # from [tool.flake8-jobstate] cache-dir, absolute (the CLI's --cache-dir wins)

    def selected(self, code: str) -> bool:
        """flake8's decision: a code is reported when its longest matching select prefix is longer than its
        longest matching ignore prefix (no select match: never; no ignore match: always)."""
        sel = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        if sel < 0:
            return False
        ign = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return ign < 0 or sel > ign

    def excluded(self, path: str) -> bool:
        return is_excluded(path, self.exclude, self.root)


# ---------------------------------------------------------------------------------------------------------------
# select / ignore option values


def split_codes(value: Any, what: str) -> tuple[str, ...]:
    """``"JS1, JS201"`` or ``["JS1", "JS201"]`` -> ("JS1", "JS201"); ConfigError (naming ``what`` and the
    codes) on a malformed code or on a code or prefix no rule has: a typo must not switch the tool off."""
    items = _split(value, what)
    for item in items:
        if not re.fullmatch(r"[A-Z]{1,3}[0-9]{0,3}", item):
            raise ConfigError(f"{what}: {item!r} is not an error code or prefix (like JS1 or JS101)")
    if any(item not in ("J", "JS") for item in items):
        from .rules import iter_rules  # only when codes are named: the registry imports the rules

        known = [r.code for r in iter_rules()]
        unknown = [item for item in items if not any(code.startswith(item) for code in known)]
        if unknown:
            raise ConfigError(f"{what}: unknown rule code{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                              f"(known: {', '.join(known)})")
    return tuple(items)


def _split(value: Any, what: str) -> list[str]:
    return split_values(value, what)


# ---------------------------------------------------------------------------------------------------------------
# pyproject.toml


def _load_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        try:
            import tomli as tomllib
        except ImportError:
            raise ConfigError(f"{path}: reading pyproject.toml on Python 3.10 needs 'tomli' (pip install tomli)") from None
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml above ``start`` that has a ``[tool.flake8-jobstate]`` table.

    The search stops at a repository root (a folder holding ``.git`` or ``.hg``) after looking there.
    """
    cur = os.path.abspath(start)
    if os.path.isfile(cur):
        cur = os.path.dirname(cur)
    while True:
        candidate = os.path.join(cur, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                with open(candidate, "rb") as fh:
                    raw = fh.read()
            except OSError:
                raw = b""
            # cheap test first: most pyproject files do not mention us
            if b"flake8-jobstate" in raw and TABLE in _load_toml(candidate).get("tool", {}):
                return candidate
        if os.path.isdir(os.path.join(cur, ".git")) or os.path.isdir(os.path.join(cur, ".hg")):
            return None
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def read_table(path: str) -> dict[str, Any]:
    """The ``[tool.flake8-jobstate]`` table with keys normalised to Settings field names; ConfigError on
    unknown keys."""
    table = _load_toml(path).get("tool", {}).get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        norm = key.replace("_", "-")
        if norm.startswith("jobstate-"):
            norm = norm[len("jobstate-") :]
        if norm not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{path}: [tool.{TABLE}]: unknown key {key!r} (known: {known})")
        out[_KEYS[norm]] = value
    return out


def common_start(paths: Sequence[str]) -> str:
    real = [os.path.abspath(p) for p in paths if p != "-"]
    if not real:
        return os.getcwd()
    try:
        base = os.path.commonpath(real)
    except ValueError:  # different drives
        return os.getcwd()
    return base


def build_settings(
    options: Mapping[str, Any],
    paths: Sequence[str] = (),
    config_file: Optional[str] = None,
    isolated: bool = False,
) -> Settings:
    """Settings from the command line (``options``, None = not given) over the pyproject table over defaults.

    Command-line values replace the file's (``select``, ``ignore``, ``exclude``, the enum options); the
    ``extend-*`` values add to whichever list is in force.
    """
    file_values: dict[str, Any] = {}
    root = os.getcwd()
    if not isolated:
        path = config_file or find_pyproject(common_start(paths))
        if config_file and not os.path.isfile(config_file):
            raise ConfigError(f"{config_file}: no such config file")
        if path:
            file_values = read_table(path)
            root = os.path.dirname(os.path.abspath(path))
            config_file = path

    def pick(name: str) -> Any:
        v = options.get(name)
        return v if v is not None else file_values.get(name)

    def flag(name: str) -> str:
        return "--" + name.replace("_", "-")

    def key(name: str) -> str:  # a value of the config file: the file and the key
        return f"{config_file}: [tool.{TABLE}] {name.replace('_', '-')}"

    def origin(name: str) -> str:
        return flag(name) if options.get(name) is not None else key(name)

    config = build_config(pick("extra_modules"), pick("state_attributes"), pick("terminal_states"),
                          pick("max_file_size"), names={n: origin(n) for n in OPTION_NAMES})
    select = split_codes(pick("select"), origin("select")) or ("JS",)
    ignore = split_codes(pick("ignore"), origin("ignore"))
    ignore += split_codes(file_values.get("extend_ignore"), key("extend_ignore"))
    ignore += split_codes(options.get("extend_ignore"), flag("extend_ignore"))
    exclude_value = pick("exclude")
    exclude = tuple(_split(exclude_value, origin("exclude"))) if exclude_value is not None else DEFAULT_EXCLUDE
    exclude += tuple(_split(file_values.get("extend_exclude"), key("extend_exclude")))
    exclude += tuple(_split(options.get("extend_exclude"), flag("extend_exclude")))
    unsafe = options.get("unsafe_fixes")
    if unsafe is None:
        unsafe = file_values.get("unsafe_fixes", False)
    if not isinstance(unsafe, bool):
        raise ConfigError(f"{key('unsafe_fixes')}: expected true or false, got {unsafe!r}")
    cache_dir = file_values.get("cache_dir")
    if cache_dir is not None:
        if not isinstance(cache_dir, str) or not cache_dir.strip():
            raise ConfigError(f"{key('cache_dir')}: expected a folder name, got {cache_dir!r}")
        cache_dir = os.path.join(root, os.path.expanduser(cache_dir))
    return Settings(
        config=config,
        select=select,
        ignore=ignore,
        exclude=exclude,
        root=root,
        unsafe_fixes=unsafe,
        config_file=config_file,
        cache_dir=cache_dir,
    )


# ---------------------------------------------------------------------------------------------------------------
# excludes


def is_excluded(path: str, patterns: Sequence[str], root: str) -> bool:
    """True when a pattern matches a component of ``path`` (patterns without ``/``) or the path relative to
    ``root`` or one of its parent folders (patterns with ``/``). Only the part below ``root`` is looked at, so
    running inside a folder named ``build`` still works."""
    if not patterns or path == "-":
        return False
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root) if _inside(absolute, root) else os.path.relpath(absolute)
    rel = rel.replace(os.sep, "/")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if parts and parts[0] == "..":  # outside both root and cwd: judge by the name alone
        parts = [parts[-1]]
    for pat in patterns:
        pat = pat.strip().replace(os.sep, "/")
        if not pat:
            continue
        if "/" in pat.rstrip("/"):
            pat = pat.strip("/")
            if pat.startswith("./"):
                pat = pat[2:]
            for i in range(1, len(parts) + 1):
                if fnmatch.fnmatchcase("/".join(parts[:i]), pat):
                    return True
        else:
            pat = pat.rstrip("/")
            if any(fnmatch.fnmatchcase(p, pat) for p in parts):
                return True
    return False


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, os.path.abspath(root)]) == os.path.abspath(root)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------------------------
# noqa

# flake8's inline grammar: "# noqa" (case-insensitive), optionally ":" + optional one whitespace + codes
# separated by commas/whitespace. Anything else after "# noqa" makes it a blanket noqa, as in flake8.
_NOQA = re.compile(r"# noqa(?::\s?(?P<codes>(?:[A-Z]+[0-9]+[,\s]*)+))?", re.IGNORECASE)
_NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)


def file_is_noqa(source: str) -> bool:
    """``# flake8: noqa`` at the start of a line skips the whole file (flake8's rule)."""
    if "noqa" not in source.lower():
        return False
    return any(_NOQA_FILE.match(line) for line in split_lines(source))


class NoqaMap:
    """For each line, the text flake8 searches for ``# noqa``: the physical line, or every line of a
    multi-line token (a triple-quoted string) joined."""

    def __init__(self, source: str) -> None:
        self.lines = split_lines(source)
        self._mapping: Optional[dict[int, str]] = None
        self.active = "noqa" in source.lower()

    def _build(self) -> dict[int, str]:
        mapping: dict[int, str] = {}
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO("".join(self.lines)).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return mapping
        lo, hi = None, None
        for tok in tokens:
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            s, e = tok.start[0], tok.end[0]
            lo = s if lo is None else min(lo, s)
            hi = e if hi is None else max(hi, e)
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(self.lines[lo - 1 : hi])
                for n in range(lo, hi + 1):
                    mapping[n] = joined
                lo, hi = None, None
        return mapping

    def text_for(self, line: int) -> str:
        if self._mapping is None:
            self._mapping = self._build()
        text = self._mapping.get(line)
        if text is None:
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return text

    def suppressed(self, line: int, code: str) -> bool:
        if not self.active:
            return False
        m = _NOQA.search(self.text_for(line))
        if m is None:
            return False
        codes = m.group("codes")
        if codes is None:
            return True
        listed = tuple(c for c in re.split(r"[,\s]+", codes) if c)
        return code.startswith(listed)
