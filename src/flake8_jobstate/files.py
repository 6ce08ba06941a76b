"""One file at a time, for the CLI: read (bytes, PEP 263 / BOM aware), check or fix, write atomically.

Everything here returns plain, picklable records (no libcst nodes) so worker processes can send them back.
Nothing raises: every failure becomes an error string attached to the file's record.
"""

from __future__ import annotations

import ast
import codecs
import errno
import hashlib
import io
import os
import stat
import tempfile
import time
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from . import reads
from .cache import Entry, Raw
from .errors import NotebookError, ParseError, Skipped
from .prefilter import prefilter
from .settings import NoqaMap, Settings, file_is_noqa
from .text import split_lines, unified_diff

if TYPE_CHECKING:
    from .config import Config

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Record:
    """One reported finding, ready to print. ``col`` is 0-based (printed +1, like flake8)."""

    path: str
    line: int
    col: int
    code: str
    message: str
    fix: Optional[str] = None  # "safe" | "unsafe" | None: what `fix` could do about it
    cell: Optional[int] = None  # notebooks: N of cell_N
    file_line: Optional[int] = None  # notebooks: the line of the .ipynb (JSON) text holding that code line


@dataclass
class FileResult:
    path: str
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # fix only
    changed: bool = False
    fixed: list[tuple[str, int, Optional[int]]] = field(default_factory=list)  # (code, line, cell)
    diff: str = ""
    output: Optional[bytes] = None  # the fixed bytes (stdin mode prints them)
    # fix only: (code, applicability) of every reported finding the file still has after the fix (or would have)
    left: list[tuple[str, Optional[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entry: Optional[Entry] = None  # what the persistent cache may keep (Python files analysed without error)


# ---------------------------------------------------------------------------------------------------------------
# collecting paths


def iter_files(paths: Sequence[str], settings: Settings, problems: Optional[list[tuple[str, str]]] = None) -> Iterator[str]:
    """Files to process, in a stable order. Directories are walked (sorted) for .py/.pyi/.ipynb files;
    explicitly named files are taken whatever their suffix, unless excluded. What cannot be processed
    (a missing path, a symlink loop, an unreadable folder, a FIFO or device) is not yielded but added to
    ``problems`` as (path, reason)."""
    seen: set[str] = set()

    def problem(path: str, why: str) -> None:
        if problems is not None:
            problems.append((path, why))

    for p in paths:
        if p == "-":
            yield p
            continue
        if settings.excluded(p):
            continue
        why = path_problem(p)
        if why is not None:
            problem(p, why)
        elif os.path.isdir(p):
            walk_errors: list[OSError] = []
            for root, dirs, files in os.walk(p, onerror=walk_errors.append):
                dirs[:] = sorted(d for d in dirs if not settings.excluded(os.path.join(root, d)))
                for name in sorted(files):
                    if name.endswith(SOURCE_SUFFIXES):
                        full = os.path.join(root, name)
                        if full not in seen and not settings.excluded(full):
                            seen.add(full)
                            why = path_problem(full)
                            if why is None:
                                yield full
                            else:
                                problem(full, why)
            for e in walk_errors:
                problem(e.filename or p, f"cannot list this folder: {_reason(e)}")
        elif p not in seen:
            seen.add(p)
            yield p


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def path_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be checked (without opening it), or None for a folder or a regular file."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "skipped: symlink loop"
        if e.errno == errno.ENOENT and os.path.islink(path):
            return "no such file (a broken symlink)"
        if e.errno == errno.ENOENT:
            return "no such file or directory"
        return f"skipped: {_reason(e)}"
    if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
        return None
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    return f"skipped: {kind}, not a source file (never opened)"


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).lower()


def collect(paths: Sequence[str], settings: Settings) -> tuple[list[str], list[FileResult]]:
    """(files to process, a result with the reason for each path that cannot be)."""
    problems: list[tuple[str, str]] = []
    files = list(iter_files(paths, settings, problems))
    return files, [FileResult(p, errors=[why]) for p, why in problems]


def is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")


# ---------------------------------------------------------------------------------------------------------------
# reading and decoding


class ReadError(Exception):
    pass


class Undecodable(ReadError):
    """Not text in its declared (PEP 263) or default (UTF-8) encoding: Python cannot import it either. Both
    front ends skip such a file with the same reason (``undecodable``)."""


def undecodable(data: bytes) -> Optional[str]:
    """Why ``data`` cannot be decoded as Python source, or None when it can."""
    try:
        decode(data)
    except Undecodable as e:
        return str(e)
    except ReadError:
        return None
    return None


def read_bytes(path: str, stdin: Optional[bytes] = None) -> bytes:
    if stdin is not None:
        return stdin
    why = path_problem(path)
    if why is not None and not why.startswith("no such"):
        raise ReadError(why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO put there since: no hang
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ReadError("skipped: not a regular file (never read)")
            return fh.read()
    except IsADirectoryError:
        raise ReadError("is a directory") from None
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except PermissionError:
        raise ReadError("permission denied") from None
    except OSError as e:
        raise ReadError(e.strerror or str(e)) from None


@dataclass
class Decoded:
    text: str
    encoding: str  # codec used to encode back (never "utf-8-sig": the BOM is kept apart)
    bom: bool


def decode(data: bytes) -> Decoded:
    """PEP 263: a BOM or a coding cookie in the first two lines, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        # no usable PEP 263 cookie and the first lines are not UTF-8: say where decoding fails
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as u:
            raise Undecodable(
                f"cannot decode as utf-8: {u.reason} at byte {u.start} (and no PEP 263 coding cookie)"
            ) from None
        raise ReadError(_first_line(str(e))) from None
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as e:
        raise Undecodable(f"cannot decode as {codec}: {e.reason} at byte {e.start + (3 if bom else 0)}") from None
    except LookupError:
        raise Undecodable(f"unknown encoding {codec!r}") from None
    return Decoded(text, codec, bom)


def encode(d: Decoded, text: str) -> bytes:
    return (codecs.BOM_UTF8 if d.bom else b"") + text.encode(d.encoding)


def _first_line(s: str) -> str:
    lines = s.strip().splitlines()
    return lines[0] if lines else s


# ---------------------------------------------------------------------------------------------------------------
# check


def _record(path: str, f, line: int, col: int, cell: Optional[int] = None,  # noqa: ANN001
            file_line: Optional[int] = None) -> Record:
    return Record(path, line, col, f.code, f.shown_message, f.applicability, cell, file_line)



def raw_findings(text: str, config: Config, shown: str) -> list[Raw]:
    """The engine's findings for a Python file's text, as plain tuples, before selection and ``# noqa``."""
    if not prefilter(text, config, shown):
        return []
    from .engine import analyze_source

    return [(f.line, f.col, f.code, f.shown_message, f.applicability) for f in analyze_source(text, config, shown)]


def fixable(raw: Sequence[Raw], unsafe_fixes: bool) -> bool:
    """Whether ``fix`` has anything to do for findings ``raw`` (its cheap pass's question)."""
    return any(fix == "safe" or (fix == "unsafe" and unsafe_fixes) for *_, fix in raw)


def _analyse_python(data: bytes, text: str, settings: Settings, shown: str, res: FileResult) -> list[Raw]:
    """``raw_findings``, recording which other files the analysis read: the cache entry for ``res``."""
    with reads.recording() as deps:
        raw = raw_findings(text, settings.config, shown)
    res.entry = Entry(reads.digest(data), deps, tuple(raw))
    return raw


def _report(res: FileResult, text: Optional[str], raw: Sequence[Raw], settings: Settings) -> None:
    """Records for the findings that are selected and not suppressed by ``# noqa``."""
    if not raw or text is None or file_is_noqa(text):
        return
    noqa = NoqaMap(text)
    for line, col, code, message, fix in raw:
        if settings.selected(code) and not noqa.suppressed(line, code):
            res.records.append(Record(res.path, line, col, code, message, fix))
    res.records.sort(key=lambda r: (r.cell or 0, r.line, r.col, r.code))


def prefiltered_out(data: bytes, settings: Settings, with_entry: bool = True,
                    path: Optional[str] = None) -> "Entry | bool | None":
    """For a Python file's bytes that the prefilter rejects: its (empty) cache entry, or True without
    ``with_entry``. None when the engine is needed, or when the bytes do not decode (the full pass reports
    that). What the prefilter read of other files is recorded, as in the full pass."""
    try:
        text = decode(data).text
    except ReadError:
        return None
    with reads.recording() as deps:
        if prefilter(text, settings.config, path):
            return None
    return Entry(reads.digest(data), deps, ()) if with_entry else True


def check_cached(path: str, settings: Settings, data: bytes, raw: Sequence[Raw]) -> FileResult:
    """``check_file``'s result from findings the cache kept for these bytes."""
    res = FileResult(path)
    try:
        _report(res, decode(data).text if raw else None, raw, settings)
    except ReadError as e:  # pragma: no cover - the bytes decoded when the entry was made
        res.errors.append(str(e))
    return res


def check_file(path: str, settings: Settings, display: Optional[str] = None, stdin: Optional[bytes] = None) -> FileResult:
    shown = display or path
    res = FileResult(shown)
    try:
        data = read_bytes(path, stdin)
        if is_notebook(display or path):
            _check_notebook(data, settings, shown, res)
        else:
            _check_python(data, settings, shown, res)
    except Undecodable as e:
        res.errors.append(f"skipped: {e}")
    except ReadError as e:
        res.errors.append(str(e))
    except NotebookError as e:
        res.errors.append(str(e))
    except Skipped as e:
        res.errors.append(f"skipped: {e}")
    except ParseError as e:
        res.errors.append(f"cannot parse: {e}")
    except RecursionError:
        res.errors.append("internal error: nesting too deep")
    except Exception as e:  # noqa: BLE001 - never a traceback
        res.errors.append(f"internal error: {type(e).__name__}: {_first_line(str(e))}")
    res.records.sort(key=lambda r: (r.cell or 0, r.line, r.col, r.code))
    return res


def _check_python(data: bytes, settings: Settings, shown: str, res: FileResult) -> None:
    text = decode(data).text
    _report(res, text, _analyse_python(data, text, settings, shown, res), settings)


def _check_notebook(data: bytes, settings: Settings, shown: str, res: FileResult) -> None:
    from . import notebook as nbmod

    nb = nbmod.load(data)
    findings, errors, source, _ = nbmod.analyze(nb, settings.config, shown)
    res.errors.extend(errors)
    if not findings:
        return
    if file_is_noqa(source):
        return
    noqa = NoqaMap(source)
    lines = nbmod.LineMap(nb)
    for nf in findings:
        f = nf.finding
        if settings.selected(f.code) and not noqa.suppressed(f.line, f.code):
            res.records.append(_record(shown, f, nf.line, nf.col, nf.cell, lines.file_line(nf.cell, nf.line)))


# ---------------------------------------------------------------------------------------------------------------
# fix

WRITE, DIFF, CHECK = "write", "diff", "check"


def fix_file(
    path: str, settings: Settings, mode: str = WRITE, display: Optional[str] = None, stdin: Optional[bytes] = None
) -> FileResult:
    """Fix one file. ``mode``: WRITE (atomically), DIFF (``res.diff``), CHECK (only ``res.changed``).

    With ``stdin`` nothing is written: WRITE mode leaves the fixed bytes in ``res.output``."""
    shown = display or path
    res = FileResult(shown)
    try:
        data = read_bytes(path, stdin)
        if is_notebook(display or path):
            new_data, old_text, new_text = _fix_notebook(data, settings, shown, res)
        else:
            new_data, old_text, new_text = _fix_python(data, settings, shown, res)
        if res.errors or new_data is None or new_data == data:
            res.changed = False
            return res
        res.changed = True
        if mode == DIFF:
            res.diff = "".join(
                unified_diff(
                    split_lines(old_text),
                    split_lines(new_text),
                    fromfile=shown if os.path.isabs(shown) else f"a/{shown}",
                    tofile=shown if os.path.isabs(shown) else f"b/{shown}",
                )
            )
            if res.diff and not res.diff.endswith("\n"):
                res.diff += "\n\\ No newline at end of file\n"
        elif mode == WRITE:
            if stdin is not None:
                res.output = new_data
            else:
                links = _links(path)
                atomic_write(path, new_data, original=data)
                if links > 1:
                    res.warnings.append("had hard links: the fixed file is a new file, its other names keep the old content")
    except Undecodable as e:
        res.errors.append(f"skipped: {e}")
    except ReadError as e:
        res.errors.append(str(e))
    except NotebookError as e:
        res.errors.append(str(e))
    except Skipped as e:
        res.errors.append(f"skipped: {e}")
    except ParseError as e:
        res.errors.append(f"cannot parse: {e}")
    except (VerifyError, ChangedError) as e:
        res.errors.append(str(e))
    except OSError as e:
        res.errors.append(f"cannot write: {e.strerror or e}")
        res.changed = False
    except RecursionError:
        res.errors.append("internal error: nesting too deep")
    except Exception as e:  # noqa: BLE001 - never a traceback
        res.errors.append(f"internal error: {type(e).__name__}: {_first_line(str(e))}")
    if res.errors:
        res.changed = False
        res.fixed = []
    return res


def _links(path: str) -> int:
    try:
        return os.stat(path).st_nlink
    except OSError:
        return 1


def _accept(settings: Settings):  # noqa: ANN202
    return lambda f: settings.selected(f.code)


def _left_raw(raw: Sequence[Raw], text: str, settings: Settings) -> list[tuple[str, Optional[str]]]:
    """``_left`` for raw findings (the cheap pass's, or the cache's)."""
    if not raw or file_is_noqa(text):
        return []
    noqa = NoqaMap(text)
    return [(code, fix) for line, _, code, _, fix in raw if settings.selected(code) and not noqa.suppressed(line, code)]


def fix_cached(path: str, settings: Settings, data: bytes, raw: Sequence[Raw]) -> Optional[FileResult]:
    """``fix_file``'s result from findings the cache kept for these bytes, when none of them is fixable
    (else None: the file needs the full pass)."""
    if fixable(raw, settings.unsafe_fixes):
        return None
    res = FileResult(path)
    if raw:
        try:
            res.left = _left_raw(raw, decode(data).text, settings)
        except ReadError:  # pragma: no cover - the bytes decoded when the entry was made
            return None
    return res


def _left(findings: Sequence, text: str, settings: Settings) -> list[tuple[str, Optional[str]]]:
    """(code, applicability) of the findings of ``text`` that check would report (selected, not noqa-ed)."""
    if not findings or file_is_noqa(text):
        return []
    noqa = NoqaMap(text)
    return [(f.code, f.applicability) for f in findings
            if settings.selected(f.code) and not noqa.suppressed(f.line, f.code)]


def _fix_python(data: bytes, settings: Settings, shown: str, res: FileResult):  # noqa: ANN202
    dec = decode(data)
    text = dec.text
    if file_is_noqa(text):
        return None, text, text
    raw = _analyse_python(data, text, settings, shown, res)  # the cheap pass (and the cache entry)
    if not fixable(raw, settings.unsafe_fixes):
        res.left = _left_raw(raw, text, settings)
        return None, text, text
    from .codemod import fix_code

    new_text, applied, _ = fix_code(text, settings.config, shown, settings.unsafe_fixes, _accept(settings),
                                    cheap_pass=False)
    if new_text == text:
        return None, text, text
    res.left = _left(verify(text, new_text, settings, shown), new_text, settings)
    res.fixed = [(f.code, f.line, None) for f in applied]
    try:
        return encode(dec, new_text), text, new_text
    except UnicodeEncodeError:
        raise VerifyError(f"the fixed code cannot be encoded as {dec.encoding}") from None


class VerifyError(Exception):
    pass


def verify(old: str, new: str, settings: Settings, shown: str) -> list:
    """The fixed code must parse (libcst, and ``ast`` when the original compiled) and analyse cleanly; its
    findings are returned."""
    from .engine import analyze_source, parse

    try:
        parse(new)
    except ParseError as e:
        raise VerifyError(f"the fixed code does not parse ({e}); file left untouched") from None
    try:
        ast.parse(old)
        old_ok = True
    except (SyntaxError, ValueError):
        old_ok = False
    if old_ok:
        try:
            ast.parse(new)
        except (SyntaxError, ValueError) as e:
            raise VerifyError(f"the fixed code does not compile ({_first_line(str(e))}); file left untouched") from None
    return analyze_source(new, settings.config, shown)


def _fix_notebook(data: bytes, settings: Settings, shown: str, res: FileResult):  # noqa: ANN202
    from . import notebook as nbmod

    nb = nbmod.load(data)
    source, _ = nb.combined()
    if file_is_noqa(source):
        return None, nb.text, nb.text
    new_text, applied, errors = nbmod.fix(nb, settings.config, shown, settings.unsafe_fixes, _accept(settings))
    if errors:
        res.errors.extend(errors)
        return None, nb.text, nb.text
    if new_text is None:
        findings, _, analysed, _ = nbmod.analyze(nb, settings.config, shown)
        res.left = _left([nf.finding for nf in findings], analysed, settings)
        return None, nb.text, nb.text
    # verify: the new notebook loads, and its combined code parses and analyses
    new_nb = nbmod.load(nbmod.encode(nb, new_text))
    new_source, _ = new_nb.combined()
    res.left = _left(verify(source, new_source, settings, shown), new_source, settings)
    res.fixed = [(nf.finding.code, nf.line, nf.cell) for nf in applied]
    return nbmod.encode(nb, new_text), nb.text, new_text


TMP_SUFFIX = ".jobstate-tmp"
STALE_TMP_SECONDS = 300  # a temp file this old is left over from a killed run (a write takes well under a second)


class ChangedError(Exception):
    """The file changed on disk between its reading and the write: it is left as it now is."""


def atomic_write(path: str, data: bytes, original: Optional[bytes] = None) -> None:
    """Write through a temporary file in the same folder and ``os.replace``; keep the file's mode (and owner
    when permitted). A symlink is followed: its target is replaced, the link stays. With ``original``
    (the bytes the fix was computed from), the file is read again just before the rename and left alone,
    with ChangedError, when it no longer holds them. A hard-linked file becomes a new file (its other
    names keep the old content), as with other formatters; see docs/usage.md. Temporary files this tool
    left next to the file in an earlier, killed run are removed."""
    target = os.path.realpath(path)
    st = os.stat(target)
    folder = os.path.dirname(target) or "."
    prefix = "." + os.path.basename(target) + "."
    remove_stale_temps(folder, prefix)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if hasattr(os, "chown"):
            try:
                if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                    os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        if original is not None and _digest(target) != hashlib.sha256(original).digest():
            raise ChangedError("changed during the run (saved by someone else?); left untouched, run fix again")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _digest(path: str) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.digest()


def remove_stale_temps(folder: str, prefix: str, now: Optional[float] = None) -> None:
    """Delete ``PREFIX<random>.jobstate-tmp`` files older than STALE_TMP_SECONDS in ``folder``."""
    now = time.time() if now is None else now
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(TMP_SUFFIX)]
    except OSError:
        return
    for name in names:
        middle = name[len(prefix) : -len(TMP_SUFFIX)]
        if not middle or "." in middle:  # another file's temp (``.a.py.x.jobstate-tmp`` vs ``.a.py``)
            continue
        full = os.path.join(folder, name)
        try:
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_TMP_SECONDS:
                os.unlink(full)
        except OSError:
            pass
