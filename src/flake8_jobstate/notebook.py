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
from .engine import ParseError, analyze_module, parse, prefilter
from .rules.base import Finding

PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun"})
_MARK = "jobstate-mask"
_MARK_RE = re.compile(r"#\s*" + _MARK + r":(\d+)\s*$")
_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_HELP = re.compile(r"^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$")


class NotebookError(Exception):
    """The file is not a notebook we can read (bad JSON, no cells, ...)."""


@dataclass
class Cell:
    index: int  # position in nb["cells"]
    number: int  # 1-based among code cells (the N of cell_N)
    source: str  # original text
    is_list: bool
    lines: list[str] = field(default_factory=list)  # masked lines, without newlines
    masked: dict[int, str] = field(default_factory=dict)  # mask id -> original line (no newline)
    ends_with_newline: bool = False


@dataclass
class Notebook:
    text: str
    data: dict[str, Any]
    cells: list[Cell]
    bom: bool = False
    newline: str = "\n"
    python: bool = True

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


def _mask(cell: Cell, counter: list[int]) -> None:
    raw_lines = cell.source.split("\n")
    if cell.source.endswith("\n"):
        raw_lines = raw_lines[:-1]
        cell.ends_with_newline = True
    lines: list[str] = []

    def placeholder(original: str, indent: str, text: str = "pass") -> str:
        counter[0] += 1
        cell.masked[counter[0]] = original
        return f"{indent}{text}  # {_MARK}:{counter[0]}"

    first = raw_lines[0].lstrip() if raw_lines else ""
    whole = False
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        whole = name not in PYTHON_BODY_CELL_MAGICS
    continuing: Optional[str] = None  # indent of a masked line that ended with a backslash
    for n, line in enumerate(raw_lines):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if whole or (n == 0 and first.startswith("%%")):
            lines.append(placeholder(line, "") if line.strip() else line)
            continue
        if continuing is not None:
            lines.append(placeholder(line, continuing))
            continuing = continuing if line.rstrip().endswith("\\") else None
            continue
        m = _ASSIGN_MAGIC.match(line)
        if m:
            lines.append(placeholder(line, m.group(1), f"{m.group(2)} = None"))
        elif stripped.startswith(("!", "%")) or _HELP.match(line):
            lines.append(placeholder(line, indent))
        else:
            lines.append(line)
            continue
        if line.rstrip().endswith("\\"):
            continuing = indent
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
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook (no 'cells' list; nbformat 4 is required)")
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    lang = (meta.get("language_info") or {}).get("name") or (meta.get("kernelspec") or {}).get("language")
    python = not isinstance(lang, str) or lang.lower() in ("python", "python3", "ipython", "ipython3", "")
    cells: list[Cell] = []
    counter = [0]
    number = 0
    for i, c in enumerate(data["cells"]):
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            continue
        number += 1
        src, is_list = _split_source(c.get("source", ""))
        cell = Cell(i, number, src, is_list)
        _mask(cell, counter)
        cells.append(cell)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Notebook(text=text, data=data, cells=cells, bom=bom, newline=newline, python=python)


# ---------------------------------------------------------------------------------------------------------------
# analysis


@dataclass
class NotebookFinding:
    cell: int
    line: int
    col: int
    finding: Finding


def _parse_with_drops(nb: Notebook) -> tuple[Optional[cst.Module], str, list[tuple[int, int]], list[str]]:
    """Parse the combined module; a cell that breaks the parse is reported and dropped, then retried."""
    dropped: set[int] = set()
    errors: list[str] = []
    for _ in range(len(nb.cells) + 1):
        source, where = nb.combined(frozenset(dropped))
        try:
            return parse(source), source, where, errors
        except ParseError as e:
            cause = e.__cause__
            line = getattr(cause, "raw_line", None)
            cell_no = where[line - 1][0] if isinstance(line, int) and 0 < line <= len(where) else None
            if cell_no is None or cell_no in dropped:
                errors.append(f"cannot parse the notebook's code: {e}")
                return None, source, where, errors
            in_cell = where[line - 1][1]
            msg = str(e)
            errors.append(f"cell_{cell_no}:{in_cell}: cannot parse this cell, skipped it ({msg})")
            dropped.add(cell_no)
    return None, "", [], errors


def analyze(nb: Notebook, config: Config, path: str) -> tuple[list[NotebookFinding], list[str], str, list[tuple[int, int]]]:
    """(findings with cell positions, error messages, combined source, line map)."""
    if not nb.python or not nb.cells:
        return [], [], "", []
    source, where = nb.combined()
    if not prefilter(source, config):
        return [], [], source, where
    module, source, where, errors = _parse_with_drops(nb)
    if module is None:
        return [], errors, source, where
    out = []
    for f in analyze_module(module, config, path):
        if 0 < f.line <= len(where):
            cell, line = where[f.line - 1]
            out.append(NotebookFinding(cell, line, f.col, f))
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
    current: Optional[int] = None
    for line in fixed.split("\n"):
        m = re.fullmatch(r"# jobstate-cell (\d+)", line.rstrip("\r"))
        if m:
            current = int(m.group(1))
            if current in parts:
                raise NotebookError("cell markers repeated")
            parts[current] = []
            continue
        if current is None:
            raise NotebookError("text before the first cell marker")
        mm = _MARK_RE.search(line)
        if mm:
            key = int(mm.group(1))
            if key not in originals:
                raise NotebookError("unknown placeholder")
            line = originals.pop(key)
        parts[current].append(line)
    if originals:
        raise NotebookError("a masked line went missing")
    if sorted(parts) != [c.number for c in nb.cells]:
        raise NotebookError("cell markers lost")
    out: dict[int, str] = {}
    for cell in nb.cells:
        lines = parts[cell.number]
        # the combined module ends with "\n": the last cell carries one empty trailing element
        if cell is nb.cells[-1] and lines and lines[-1] == "":
            lines = lines[:-1]
        text = "\n".join(lines)
        if cell.ends_with_newline:
            text += "\n"
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

    module = cst.parse_module(source)
    ctx = CodemodContext()
    for mod, name, asname in imports:
        AddImportsVisitor.add_needed_import(ctx, mod, name, asname)
    return AddImportsVisitor(ctx).transform_module(module).code


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
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------------
# writing: replace the changed "source" values in the original text


def _detect_indent(text: str) -> Optional[int]:
    m = re.search(r"\n( +)\"", text)
    return len(m.group(1)) if m else None


def _dump(value: Any, indent: Optional[int], ensure_ascii: bool, level: int, newline: str) -> str:
    s = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    if indent is not None and level:
        s = s.replace("\n", "\n" + " " * (indent * level))
    return s.replace("\n", newline)


def render(nb: Notebook, changed: dict[int, str]) -> str:
    text = nb.text
    indent = _detect_indent(text)
    ensure_ascii = text.isascii()
    # "source" of a cell sits at depth 3 (top object > "cells" list > cell object)
    pieces: list[str] = []
    cursor = 0
    ok = True
    if ok:
        for cell in nb.cells:
            original_value = nb.data["cells"][cell.index].get("source", "")
            old = '"source": ' + _dump(original_value, indent, ensure_ascii, 3, nb.newline)
            pos = text.find(old, cursor)
            if pos < 0:
                ok = False
                break
            pieces.append(text[cursor:pos])
            if cell.number in changed:
                new_value = _source_value(changed[cell.number], cell.is_list)
                pieces.append('"source": ' + _dump(new_value, indent, ensure_ascii, 3, nb.newline))
            else:
                pieces.append(old)
            cursor = pos + len(old)
    if ok:
        pieces.append(text[cursor:])
        return "".join(pieces)
    # fallback: re-serialise everything in the detected style (key order kept)
    data = nb.data
    for cell in nb.cells:
        if cell.number in changed:
            data["cells"][cell.index]["source"] = _source_value(changed[cell.number], cell.is_list)
    out = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii)
    if text.endswith("\n"):
        out += "\n"
    return out.replace("\n", nb.newline)


def encode(nb: Notebook, text: str) -> bytes:
    return (b"\xef\xbb\xbf" if nb.bom else b"") + text.encode("utf-8")
