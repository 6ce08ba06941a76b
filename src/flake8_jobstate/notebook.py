"""Jupyter notebooks (``.ipynb``): analyse the code cells as one module, report and fix per cell.

Decisions (documented in docs/usage.md):

* **Cell numbering** follows nbQA: ``nb.ipynb:cell_N:LINE:COL`` where N is the 1-based index of the cell among
  the notebook's *code* cells (markdown and raw cells are not counted); LINE is 1-based within the cell.
* **All code cells form one module**, in notebook order, so an import or an assignment in one cell is known in
  the cells after it. A cell that does not parse is reported (``nb.ipynb:cell_N: error: ...``) and left out of
  the module (its lines become ``pass``), so the other cells are still analysed.
* **IPython syntax is masked** line for line, so positions stay right: ``!cmd``, ``%magic``, ``?obj`` and
  ``obj?`` lines become ``pass``; ``x = !cmd`` / ``x = %magic`` become ``x = None``; backslash continuations
  are masked with their line. A cell starting with ``%%time``, ``%%timeit``, ``%%capture``, ``%%prun`` or
  ``%%debug`` keeps its Python body; any other ``%%cell`` magic masks the whole cell. Placeholders are never
  written back: every masked line is restored from the original before writing.
* **Fixes are written into ``source`` only**: outputs, metadata, execution counts and the file's JSON formatting
  are untouched. The changed ``source`` values are replaced in the original text (same indentation,
  key order, escaping and line endings); only if that is impossible is the notebook re-serialised with the
  detected indentation. ``source`` stays a list of lines or a string, as it was. A notebook whose kernel
  language is not Python is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst

from .config import Config
from .engine import ParseError, analyze_module, check_size, original_columns, parse, prefilter
from .errors import NotebookError
from .rules.base import Finding
from .text import final_break, normalised

PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun"})
_MARK = "jobstate-mask"
_MARK_RE = re.compile(r"#\s*" + _MARK + r":(\d+)\s*$")
_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_HELP = re.compile(r"^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$")


@dataclass
class Cell:
    index: int  # position in nb["cells"]
    number: int  # 1-based among code cells (the N of cell_N)
    source: str  # original text
    is_list: bool
    lines: list[str] = field(default_factory=list)  # masked lines, without newlines
    masked: dict[int, str] = field(default_factory=dict)  # mask id -> original line (no newline)
    ends_with_newline: bool = False
    dedent: str = ""  # IPython's leading-indent removal: the prefix taken off the lines in ``dedented``
    dedented: set[int] = field(default_factory=set)
    breaks: list[str] = field(default_factory=list)  # the line breaks of ``source``: "\n", or a lone "\r"

    def col_offset(self, line: int) -> int:
        """Columns are reported in the original text: add back a removed leading indent."""
        return len(self.dedent) if (line - 1) in self.dedented else 0


@dataclass
class Notebook:
    text: str
    data: dict[str, Any]
    cells: list[Cell]
    bom: bool = False
    newline: str = "\n"
    python: bool = True
    problems: list[str] = field(default_factory=list)  # cells that are not cell objects (reported, skipped)

    # -- the combined module -------------------------------------------------------------------------------

    def combined(self, dropped: frozenset[int] = frozenset()) -> tuple[str, list[tuple[int, int]]]:
        """The masked code cells as one module, and for each module line (1-based index - 1) the
        (cell number, line in cell). Cells in ``dropped`` become ``pass`` lines. A marker comment line
        ``# jobstate-cell N`` precedes each cell so a fixed module can be split back."""
        out: list[str] = []
        where: list[tuple[int, int]] = []
        for cell in self.cells:
            out.append(f"# jobstate-cell {cell.number}")
            where.append((cell.number, 0))
            for i, line in enumerate(cell.lines, 1):
                if cell.number in dropped:
                    out.append("pass" if line.strip() else "")
                else:
                    out.append(line)
                where.append((cell.number, i))
        return "\n".join(out) + "\n", where


def _split_source(src: Any) -> tuple[str, bool]:
    if isinstance(src, list):
        if not all(isinstance(s, str) for s in src):
            raise NotebookError("a cell's source is not text")
        return "".join(src), True
    if isinstance(src, str):
        return src, False
    raise NotebookError("a cell's source is not text")


class _Scanner:
    """Just enough of Python's lexer to know whether a line starts a new statement: open brackets, open
    strings (triple-quoted ones span lines) and backslash continuations carry over to the next line."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: Optional[str] = None  # the open triple quote, if any
        self.backslash = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            ch = line[i]
            if self.quote is not None:
                if ch == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if ch == "#":
                break
            if ch in "\"'":
                triple = line[i : i + 3]
                if triple in ('"""', "'''"):
                    self.quote = triple
                    i += 3
                    continue
                j = i + 1
                while j < n and line[j] != ch:
                    j += 2 if line[j] == "\\" else 1
                i = j + 1
                continue
            if ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth = max(0, self.depth - 1)
            elif ch == "\\" and line[i + 1 :].strip() == "":
                self.backslash = True
            i += 1


# IPython's automagics and default shell aliases that notebooks use without a % (``cd dir``, ``ls -la``,
# ``pip install x``): masked when the word is followed by something that cannot continue a Python statement.
AUTOMAGICS = frozenset(
    "cd ls ll lf lk ldir lx pwd pip conda env cat cp mv rm mkdir rmdir load_ext reload_ext matplotlib "
    "autoreload aimport who whos reset history alias unalias bookmark dhist pushd popd store run "
    "time timeit pinfo pinfo2 psearch sx system gcloud".split()
)
_AUTOMAGIC = re.compile(r"([A-Za-z_]\w*)(\s+|$)(.*)$")


def _automagic(stripped: str) -> bool:
    m = _AUTOMAGIC.match(stripped)
    if not m or m.group(1) not in AUTOMAGICS:
        return False
    rest = m.group(3)
    if not m.group(2):  # a bare word: `pwd`, `ls`, `whos` (a bare name is a no-op in Python anyway)
        return m.group(1) in ("pwd", "ls", "ll", "whos", "who", "dhist", "popd", "history")
    if rest[:1] == "." and re.match(r"\.[A-Za-z_]", rest):  # attribute access, not a path like ../ or ./x
        return False
    if rest[:1] in ("=", "(", "[", ",", ":", ")", "]", "}", "#") or re.match(r"[-+*/%&|^<>!@]=|==|is\b|in\b|and\b|or\b|if\b|for\b|not\b", rest):
        return False
    return True


def _leading_indent(lines: list[str]) -> str:
    """IPython removes the first line's indentation from every line of the cell that starts with it."""
    m = re.match(r"[ \t]+", lines[0]) if lines else None
    return m.group(0) if m else ""


_LINE_BREAK = re.compile(r"\n|\r(?!\n)")  # Python's line ends ("\r\n" lines keep their "\r", as in the JSON)


def _mask(cell: Cell, counter: list[int]) -> None:
    raw_lines = _LINE_BREAK.split(cell.source)
    cell.breaks = _LINE_BREAK.findall(cell.source)
    if cell.source.endswith(("\n", "\r")):
        raw_lines = raw_lines[:-1]
        cell.ends_with_newline = True
    prefix = _leading_indent(raw_lines)
    cell.dedent = prefix
    cell.dedented = set()
    work: list[str] = []
    for i, line in enumerate(raw_lines):
        if prefix and line.startswith(prefix):
            cell.dedented.add(i)
            line = line[len(prefix) :]
        work.append(line)
    lines: list[str] = []

    def placeholder(index: int, indent: str, text: str = "pass") -> str:
        counter[0] += 1
        cell.masked[counter[0]] = raw_lines[index]
        return f"{indent}{text}  # {_MARK}:{counter[0]}"

    # a cell magic may follow comment lines (Colab's "# @title" forms)
    head = 0
    while head < len(work) and (not work[head].strip() or work[head].lstrip().startswith("#")):
        head += 1
    first = work[head].lstrip() if head < len(work) else ""
    if not first.startswith("%%"):
        head, first = 0, (work[0].lstrip() if work else "")
    whole = False
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        whole = name not in PYTHON_BODY_CELL_MAGICS
    scanner = _Scanner()
    continuing: Optional[str] = None  # indent of a masked line that ended with a backslash
    for n, line in enumerate(work):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if first.startswith("%%") and n < head:
            lines.append(line)  # the comment lines above a cell magic
            continue
        if whole or (n == head and first.startswith("%%")):
            lines.append(placeholder(n, "") if line.strip() else line)
            continue
        if continuing is not None:
            lines.append(placeholder(n, continuing))
            continuing = continuing if line.rstrip().endswith("\\") else None
            continue
        if scanner.at_statement_start:
            m = _ASSIGN_MAGIC.match(line)
            if m:
                lines.append(placeholder(n, m.group(1), f"{m.group(2)} = None"))
            elif stripped.startswith(("!", "%")) or _HELP.match(line) or _automagic(stripped):
                lines.append(placeholder(n, indent))
            else:
                m = None
                lines.append(line)
                scanner.feed(line)
                continue
            if line.rstrip().endswith("\\"):
                continuing = indent
            continue
        lines.append(line)
        scanner.feed(line)
    cell.lines = lines


def load(raw: bytes) -> Notebook:
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise NotebookError(f"not UTF-8 ({e.reason} at byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise NotebookError(f"invalid notebook JSON: {e.msg} (line {e.lineno})") from None
    except RecursionError:
        raise NotebookError("invalid notebook JSON: nested too deeply to read") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook (no 'cells' list; nbformat 4 is required)")
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    info, spec = meta.get("language_info"), meta.get("kernelspec")
    lang = (info.get("name") if isinstance(info, dict) else None) or (
        spec.get("language") if isinstance(spec, dict) else None
    )
    python = not isinstance(lang, str) or lang.lower() in ("python", "python3", "ipython", "ipython3", "")
    cells: list[Cell] = []
    counter = [0]
    number = 0
    problems: list[str] = []
    for i, c in enumerate(data["cells"]):
        if not isinstance(c, dict):
            problems.append(f"cells[{i}] is a JSON {_json_kind(c)}, not a cell object; skipped, the other cells were checked")
            continue
        if c.get("cell_type") != "code":
            continue
        number += 1
        src, is_list = _split_source(c.get("source", ""))
        cell = Cell(i, number, src, is_list)
        _mask(cell, counter)
        cells.append(cell)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Notebook(text=text, data=data, cells=cells, bom=bom, newline=newline, python=python, problems=problems)


def _json_kind(value: Any) -> str:
    return {str: "string", list: "array", bool: "boolean", type(None): "null"}.get(type(value), "number")


# ---------------------------------------------------------------------------------------------------------------
# analysis


@dataclass
class NotebookFinding:
    cell: int
    line: int
    col: int
    finding: Finding


def _parse_with_drops(nb: Notebook) -> tuple[Optional[cst.Module], str, list[tuple[int, int]], list[str]]:
    """Parse the combined module. When that fails, each cell is parsed on its own (IPython compiles cells
    one by one, so each must parse alone): the cells that do not are reported and left out."""
    source, where = nb.combined()
    try:
        return parse(source), source, where, []
    except ParseError:
        pass
    dropped: set[int] = set()
    errors: list[str] = []
    for cell in nb.cells:
        text = "\n".join(cell.lines) + "\n"
        try:
            parse(text)
        except ParseError as e:
            dropped.add(cell.number)
            errors.append(f"cell_{cell.number}:{_where(text, e)}; the other cells were checked")
    source, where = nb.combined(frozenset(dropped))
    try:
        return parse(source), source, where, errors
    except ParseError as e:
        errors.append(f"cannot parse the notebook's code ({e})")
        return None, source, where, errors


def _where(text: str, e: ParseError) -> str:
    """``LINE: cannot parse this cell (reason)``: Python's own message is more precise than LibCST's."""
    try:
        compile(text, "<cell>", "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except SyntaxError as se:
        return f"{se.lineno or 1}: cannot parse this cell ({se.msg})"
    except (ValueError, RecursionError, MemoryError):
        pass
    return f"1: cannot parse this cell ({e})"


def analyze(nb: Notebook, config: Config, path: str) -> tuple[list[NotebookFinding], list[str], str, list[tuple[int, int]]]:
    """(findings with cell positions, error messages, combined source, line map)."""
    if not nb.python or not nb.cells:
        return [], list(nb.problems), "", []
    source, where = nb.combined()
    if not prefilter(source, config):
        return [], list(nb.problems), source, where
    check_size(source, config.max_file_size)
    module, source, where, errors = _parse_with_drops(nb)
    errors = nb.problems + errors
    if module is None:
        return [], errors, source, where
    out = []
    cells = {c.number: c for c in nb.cells}
    for f in original_columns(analyze_module(module, config, path), source):
        if 0 < f.line <= len(where):
            cell, line = where[f.line - 1]
            out.append(NotebookFinding(cell, line, f.col + cells[cell].col_offset(line), f))
    return out, errors, source, where


# ---------------------------------------------------------------------------------------------------------------
# fixing


def split_fixed(nb: Notebook, fixed: str) -> dict[int, str]:
    """The fixed combined module split back into cells (by the marker lines), masked lines restored.

    Returns {cell number: new source} for every code cell; raises NotebookError when the module's shape
    does not allow a faithful split.
    """
    originals: dict[int, str] = {}
    for cell in nb.cells:
        originals.update(cell.masked)
    parts: dict[int, list[str]] = {}
    restored: dict[int, set[int]] = {}  # cell -> indices of lines restored from the original text
    current: Optional[int] = None
    for line in fixed.split("\n"):
        m = re.fullmatch(r"# jobstate-cell (\d+)", line.rstrip("\r"))
        if m:
            current = int(m.group(1))
            if current in parts:
                raise NotebookError("cell markers repeated")
            parts[current] = []
            restored[current] = set()
            continue
        if current is None:
            if not line.strip():
                continue
            raise NotebookError("text before the first cell marker")
        mm = _MARK_RE.search(line)
        if mm:
            key = int(mm.group(1))
            if key not in originals:
                raise NotebookError("unknown placeholder")
            line = originals.pop(key)
            restored[current].add(len(parts[current]))
        parts[current].append(line)
    if originals:
        raise NotebookError("a masked line went missing")
    if not nb.cells:
        return {}
    if sorted(parts) != [c.number for c in nb.cells]:
        raise NotebookError("cell markers lost")
    out: dict[int, str] = {}
    for cell in nb.cells:
        lines = parts[cell.number]
        # the combined module ends with "\n": the last cell carries one empty trailing element
        if cell is nb.cells[-1] and lines and lines[-1] == "":
            lines = lines[:-1]
        if cell.dedent:
            lines = [
                cell.dedent + ln if i in cell.dedented and i not in restored[cell.number] else ln
                for i, ln in enumerate(lines)
            ]
        breaks = cell.breaks if len(cell.breaks) == len(lines) - (0 if cell.ends_with_newline else 1) else []
        if "\r" not in breaks:
            breaks = ["\n"] * len(lines)
        text = "".join(ln + breaks[i] for i, ln in enumerate(lines[:-1])) + (lines[-1] if lines else "")
        if cell.ends_with_newline:
            text += breaks[len(lines) - 1] if lines else "\n"
        out[cell.number] = text
    return out


def _source_value(text: str, is_list: bool) -> Any:
    if not is_list:
        return text
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _insert_imports(source: str, imports: list[tuple[str, str, Optional[str]]]) -> str:
    """Add imports to one cell's (unmasked-safe) source with LibCST's AddImportsVisitor."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    pt = normalised(source)  # form feeds, mixed tabs, lone backslashes: libcst gets the equivalent text
    module = cst.parse_module(pt.text if pt else source)
    ctx = CodemodContext()
    for mod, name, asname in imports:
        AddImportsVisitor.add_needed_import(ctx, mod, name, asname)
    code = AddImportsVisitor(ctx).transform_module(module).code
    return final_break(source, pt.restore(code) if pt else code)


def _import_cell(nb: Notebook) -> Optional[Cell]:
    """Where added imports go: the first code cell with a top-level import, else the first code cell
    that has no IPython syntax, else None (then the first cell)."""
    for cell in nb.cells:
        if any(re.match(r"(import|from)\s", line) for line in cell.lines):
            return cell
    for cell in nb.cells:
        if not cell.masked and cell.source.strip():
            return cell
    return None


def fix(
    nb: Notebook, config: Config, path: str, unsafe_fixes: bool, accept: Any
) -> tuple[Optional[str], list[NotebookFinding], list[str]]:
    """(new notebook text or None when nothing changed, applied fixes, errors). On errors nothing is written."""
    from .codemod import fix_code

    findings, errors, source, where = analyze(nb, config, path)
    if errors:
        return None, [], errors
    if not findings or not any(f.finding.fix for f in findings):
        return None, [], []
    fixed, applied, imports = fix_code(
        source, config, path, unsafe_fixes=unsafe_fixes, accept=accept, schedule_imports=False
    )
    if fixed == source:
        return None, [], []
    new_sources = split_fixed(nb, fixed)
    if imports:
        target = _import_cell(nb) or nb.cells[0]
        new_sources[target.number] = _add_imports_to_cell(target, new_sources[target.number], imports)
    placed = []
    for f in applied:
        if 0 < f.line <= len(where):
            c, ln = where[f.line - 1]
            placed.append(NotebookFinding(c, ln, f.col, f))
    changed = {n: s for n, s in new_sources.items() if s != _cell(nb, n).source}
    if not changed:
        return None, [], []
    return render(nb, changed), placed, []


def _cell(nb: Notebook, number: int) -> Cell:
    return next(c for c in nb.cells if c.number == number)


def _add_imports_to_cell(cell: Cell, new_source: str, imports: list[tuple[str, str, Optional[str]]]) -> str:
    """Insert the imports into one cell: mask its IPython lines again, let AddImportsVisitor place the
    imports among the cell's own imports, restore the masked lines."""
    probe = Cell(cell.index, cell.number, new_source, cell.is_list)
    _mask(probe, [0])
    masked = "\n".join(probe.lines) + ("\n" if probe.ends_with_newline else "")
    out = []
    for line in _insert_imports(masked, imports).split("\n"):
        m = _MARK_RE.search(line)
        if m and int(m.group(1)) in probe.masked:
            line = probe.masked[int(m.group(1))]
        elif probe.dedent and line:
            line = probe.dedent + line
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# writing: replace the changed "source" values in the original text


def _detect_indent(text: str) -> Optional[int]:
    m = re.search(r"\n( +)\"", text)
    return len(m.group(1)) if m else None


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER_OR_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


class _Spans:
    """Where each ``cells[i]["source"]`` value sits in the notebook's text (start, end offsets), found by a
    small JSON scanner (strings are decoded by the json module's own C scanner)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sources: dict[int, tuple[int, int]] = {}

    def ws(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def value(self, i: int, path: tuple = ()) -> int:
        """Skip the JSON value at ``i`` (no leading whitespace); return the offset after it."""
        t = self.text
        ch = t[i : i + 1]
        if ch == '"':
            return json.decoder.scanstring(t, i + 1)[1]  # type: ignore[attr-defined]
        if ch == "{":
            i = self.ws(i + 1)
            if t[i] == "}":
                return i + 1
            while True:
                key, i = json.decoder.scanstring(t, i + 1)  # type: ignore[attr-defined]
                i = self.ws(i)
                if t[i] != ":":
                    raise ValueError("':' expected")
                i = self.ws(i + 1)
                start = i
                i = self.value(i, path + (key,))
                if len(path) == 2 and path[0] == "cells" and key == "source":
                    self.sources[path[1]] = (start, i)
                i = self.ws(i)
                if t[i] == ",":
                    i = self.ws(i + 1)
                    continue
                if t[i] == "}":
                    return i + 1
                raise ValueError("',' or '}' expected")
        if ch == "[":
            i = self.ws(i + 1)
            if t[i] == "]":
                return i + 1
            n = 0
            while True:
                i = self.value(i, path + (n,) if path == ("cells",) else path + (None,))
                n += 1
                i = self.ws(i)
                if t[i] == ",":
                    i = self.ws(i + 1)
                    continue
                if t[i] == "]":
                    return i + 1
                raise ValueError("',' or ']' expected")
        m = _NUMBER_OR_LITERAL.match(t, i)
        if not m:
            raise ValueError(f"unexpected {ch!r}")
        return m.end()

    def scan(self) -> dict[int, tuple[int, int]]:
        i = self.ws(1 if self.text.startswith("\ufeff") else 0)
        self.value(i)
        return self.sources


class LineMap:
    """Which line of the notebook's JSON text holds a cell's code line (for SARIF and GitHub annotations,
    which point into the file as stored). A list-of-lines ``source`` has one JSON string per code line; a
    single-string ``source`` maps every code line to the line where the string starts."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self._spans: Optional[dict[int, tuple[int, int]]] = None

    def file_line(self, cell_number: int, line: int) -> Optional[int]:
        if self._spans is None:
            try:
                self._spans = _Spans(self.nb.text).scan()
            except (ValueError, IndexError):
                self._spans = {}
        cell = next((c for c in self.nb.cells if c.number == cell_number), None)
        if cell is None or cell.index not in self._spans:
            return None
        text = self.nb.text
        start, end = self._spans[cell.index]
        pos = start
        if cell.is_list:
            # the (line-1)th string element of the list
            i, k = start + 1, 0
            while i < end:
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if text[i : i + 1] != '"':
                    break
                if k == line - 1:
                    pos = i
                    break
                i = json.decoder.scanstring(text, i + 1)[1]  # type: ignore[attr-defined]
                i = _WS.match(text, i).end()  # type: ignore[union-attr]
                if text[i : i + 1] == ",":
                    i += 1
                k += 1
        return text.count("\n", 0, pos) + 1


def _line_indent(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    m = re.match(r"[ \t]*", text[start:pos])
    return m.group(0) if m else ""


def _serialize_source(old: str, value: Any, text: str, start: int, indent: Optional[int], newline: str) -> str:
    """The new ``source`` value in the style of the old one (element layout, escaping)."""
    if old.isascii():
        ensure_ascii = "\\u" in old or text.isascii()
    else:
        ensure_ascii = False
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ensure_ascii)
    items = [json.dumps(v, ensure_ascii=ensure_ascii) for v in value]
    if not items:
        return "[]"
    m = re.match(r"\[([ \t\r\n]*)", old)
    m_end = re.search(r"([ \t\r\n]*)\]$", old)
    if old != "[]" and m and m_end:
        lead, close = m.group(1), m_end.group(1)
        sep_m = re.search(r'",([ \t\r\n]*)"', old)
        sep = "," + (sep_m.group(1) if sep_m else lead)
        return "[" + lead + sep.join(items) + close + "]"
    # the old list was empty: lay the elements out like the file's other lists
    if indent is None:
        return "[" + ", ".join(items) + "]"
    key_indent = _line_indent(text, start)
    inner = newline + key_indent + " " * indent
    return "[" + inner + ("," + inner).join(items) + newline + key_indent + "]"


def render(nb: Notebook, changed: dict[int, str]) -> str:
    """The notebook's text with the changed cells' ``source`` values replaced, every other byte kept."""
    text = nb.text
    indent = _detect_indent(text)
    try:
        spans = _Spans(text).scan()
    except (ValueError, IndexError):
        spans = {}
    if all(_cell(nb, n).index in spans for n in changed):
        out = text
        for n in sorted(changed, key=lambda k: -spans[_cell(nb, k).index][0]):  # right to left
            cell = _cell(nb, n)
            start, end = spans[cell.index]
            value = _source_value(changed[n], cell.is_list)
            out = out[:start] + _serialize_source(text[start:end], value, text, start, indent, nb.newline) + out[end:]
        return out
    # fallback: re-serialise everything in the detected style (key order kept)
    data = nb.data
    for cell in nb.cells:
        if cell.number in changed:
            data["cells"][cell.index]["source"] = _source_value(changed[cell.number], cell.is_list)
    dumped = json.dumps(data, indent=indent, ensure_ascii=text.isascii())
    if text.endswith("\n"):
        dumped += "\n"
    return dumped.replace("\n", nb.newline)


def encode(nb: Notebook, text: str) -> bytes:
    return (b"\xef\xbb\xbf" if nb.bom else b"") + text.encode("utf-8")
