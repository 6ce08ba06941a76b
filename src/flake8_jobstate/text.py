"""Lines and form feeds as Python's tokenizer sees them: the one line map of the whole tool.

Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line. ``str.splitlines`` also breaks at a form feed, ``\\x0b``,
``\\x1c``-``\\x1e``, U+0085, U+2028 and U+2029, which may sit inside a string literal or a comment: a line
number counted that way drifts from Python's (and flake8's), so noqa comments, positions and notebooks all use
:func:`split_lines`.

A form feed is whitespace to Python, and in a line's indentation it resets the indentation column; a line
holding only a backslash (a continuation that joins nothing) is nothing to Python. libcst rejects some such
files and miscounts columns after a form feed, so :class:`ParserText` hands it an equivalent text: a form
feed in the indentation is removed together with the whitespace before it (what Python ignores), any other
form feed between tokens becomes a space, and so does a lone backslash at the start of a logical line; when
some indentation mixes tabs and spaces (or form feeds and tabs), indentations with tabs become spaces (a tab to the next multiple of
8, Python's rule). Every line keeps its number; columns on a line whose indentation changed are shifted back by
:meth:`ParserText.column`, and :meth:`ParserText.restore` puts the original characters back into a text
derived from the normalised one (what ``fix`` writes), on every line it did not change.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from typing import Iterator, Optional

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# a form feed; a line holding only a backslash; an indentation mixing tabs and spaces
_LONE_CR = re.compile(r"\r(?!\n)")
_MIXED = re.compile(r"(?:\A|[\r\n])(?: +\t|\t+ )")
_NEEDS = re.compile(r"\f|(?:\A|[\r\n])[ \t]*\\(?:[\r\n]|\Z)|" + _MIXED.pattern)


def _columns(indent: str) -> str:
    """Spaces for an indentation (after its last form feed), tabs to the next multiple of 8, as Python."""
    col = 0
    for ch in indent:
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return " " * col


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their endings, as Python's tokenizer splits them."""
    return _LINE.findall(text)


def line_starts(text: str) -> list[int]:
    """The offset in ``text`` at which each line (1-based: index ``line - 1``) starts."""
    starts = [0]
    for m in _LINE.finditer(text):
        starts.append(m.end())
    return starts[:-1] if len(starts) > 1 and starts[-1] == len(text) else starts


class ParserText:
    """The text libcst parses in place of ``original`` (see the module's docstring)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.text = original
        self.shift: dict[int, int] = {}  # line -> characters its indentation lost (or, < 0, gained)
        self.removed: dict[int, tuple[str, str]] = {}  # line -> (its original indentation, the spaces for it)
        if _NEEDS.search(original):
            self._normalise()

    @property
    def changed(self) -> bool:
        return self.text is not self.original

    def _normalise(self) -> None:
        lines = split_lines(self.original)
        tokens: list[tokenize.TokenInfo] = []
        try:
            # lone "\r" as "\n" (same length): the tokenize module splits lines at "\n" only
            for tok in tokenize.generate_tokens(io.StringIO(_LONE_CR.sub("\n", self.original)).readline):
                tokens.append(tok)
        except (tokenize.TokenError, SyntaxError, ValueError):
            pass  # the tokenize module stops at a final lone backslash that Python's own tokenizer accepts
        known = tokens[-1].end[0] if tokens else 0  # lines past this one: only lone backslashes are touched
        protected: dict[int, list[tuple[int, int]]] = {}  # line -> column spans inside strings and comments
        firsts: set[tuple[int, int]] = set()  # where each logical line's first token starts
        interior: set[int] = set()  # lines inside a logical line (after its first physical line)
        first_row = 0
        at_start = True
        for tok in tokens:
            if tok.type in (tokenize.STRING, tokenize.COMMENT):
                (r0, c0), (r1, c1) = tok.start, tok.end
                for r in range(r0, r1 + 1):
                    protected.setdefault(r, []).append((c0 if r == r0 else 0, c1 if r == r1 else 1 << 30))
            if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                if tok.type == tokenize.NEWLINE and first_row:
                    interior.update(range(first_row + 1, tok.start[0] + 1))
                at_start = True
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER) and at_start:
                firsts.add(tok.start)
                first_row = tok.start[0]
                at_start = False
        # tabs and spaces mixed in some indentation (or a form feed's may become spaces): all to spaces
        expand = bool(_MIXED.search(self.original)) or ("\f" in self.original and "\t" in self.original)
        out = []
        for n, line in enumerate(lines, 1):
            indent = len(line) - len(line.lstrip(" \t\f"))
            first = (n, indent) in firsts
            if line.strip(" \t\f\r\n") == "\\" and n not in interior:  # a lone backslash: nothing to Python
                body = line.rstrip("\r\n")
                out.append(" " * len(body) + line[len(body):])
                continue
            if n > known or ("\f" not in line and not (expand and first and "\t" in line[:indent])):
                out.append(line)
                continue
            spans = protected.get(n, ())
            cut, rep = 0, ""
            if first and ("\f" in line[:indent] or (expand and "\t" in line[:indent])):
                cut = indent
                rep = _columns(line[line.rfind("\f", 0, indent) + 1 : indent])
            chars = list(line)
            for i, ch in enumerate(chars):
                if ch == "\f" and i >= cut and not any(a <= i < b for a, b in spans):
                    chars[i] = " "
            new = rep + "".join(chars[cut:])
            if cut:
                self.shift[n] = cut - len(rep)
                self.removed[n] = (line[:cut], rep)
            out.append(new)
        self.text = "".join(out)

    def column(self, line: int, col: int) -> int:
        """The column in the original text of column ``col`` of line ``line`` of the normalised text."""
        return col + self.shift.get(line, 0)

    def restore(self, new: str) -> str:
        """``new`` (the normalised text after edits) with the original's characters back on every line that
        is the same, or the same after its indentation, as in the normalised text."""
        if not self.changed:
            return new
        base = split_lines(self.text)
        orig = split_lines(self.original)
        lines = split_lines(new)
        out: list[str] = []
        for op, i1, i2, j1, j2 in LineMatcher(None, base, lines, autojunk=False).get_opcodes():
            if op == "equal":
                out.extend(orig[i1:i2])
            elif op == "replace" and i2 - i1 == j2 - j1:
                for k in range(i2 - i1):
                    out.append(self._restore_line(i1 + k + 1, base[i1 + k], lines[j1 + k], orig[i1 + k]))
            else:
                out.extend(lines[j1:j2])
        return "".join(out)

    def _restore_line(self, n: int, base: str, new: str, orig: str) -> str:
        """A changed line: its removed indentation back, and each form feed that became a space back where the
        text before it, or the text after it, is unchanged."""
        prefix, rep = self.removed.get(n, ("", ""))
        if not (new.startswith(rep) and base.startswith(rep)):
            return new
        new, base = new[len(rep):], base[len(rep):]
        body = orig[len(prefix):]
        chars = list(new)
        for i, ch in enumerate(body):
            if ch != "\f":
                continue
            j = i if new[:i] == base[:i] else len(new) - (len(base) - i) if new.endswith(base[i:]) else -1
            if 0 <= j < len(chars) and chars[j] == " ":
                chars[j] = "\f"
        return prefix + "".join(chars)


def final_break(source: str, new: str) -> str:
    """``new`` ending with a line break when ``source`` did: libcst drops a final lone ``\r``."""
    if source.endswith(("\n", "\r")) and new and not new.endswith(("\n", "\r")):
        return new + ("\r\n" if source.endswith("\r\n") else source[-1])
    return new


def normalised(source: str) -> Optional[ParserText]:
    """A ParserText for ``source`` when libcst needs one (form feeds, lone backslashes), else None."""
    if not _NEEDS.search(source):
        return None
    ff = ParserText(source)
    return ff if ff.changed else None


# ---------------------------------------------------------------------------------------------------------------
# line diffs in linear time for fixed texts


class LineMatcher(difflib.SequenceMatcher):
    """difflib's matcher for lists of lines, with a fast path for what ``fix`` produces.

    difflib costs time proportional to the length times the number of changes (a notebook with a fix in each
    of 2,000 cells took minutes). A fixed text has the same lines as the original, some replaced, maybe a few
    inserted: same length, the opcodes are runs of equal and replaced lines; a long text of another length
    is matched greedily (the nearest point where both continue alike). Short texts go to difflib as before.
    """

    GREEDY_FROM = 2000  # lines

    def get_opcodes(self) -> list[tuple[str, int, int, int, int]]:  # type: ignore[override]
        a, b = self.a, self.b
        if len(a) == len(b):
            return _runs(a, b)
        if max(len(a), len(b)) < self.GREEDY_FROM:
            return super().get_opcodes()
        return _greedy(a, b)


def _runs(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    ops: list[tuple[str, int, int, int, int]] = []
    i, n = 0, len(a)
    while i < n:
        same = a[i] == b[i]
        j = i + 1
        while j < n and (a[j] == b[j]) == same:
            j += 1
        ops.append(("equal" if same else "replace", i, j, i, j))
        i = j
    return ops


def _greedy(a: list, b: list, window: int = 64, confirm: int = 3) -> list[tuple[str, int, int, int, int]]:
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    n, m = len(a), len(b)

    def alike(x: int, y: int) -> bool:
        k = 0
        while k < confirm and x + k < n and y + k < m:
            if a[x + k] != b[y + k]:
                return False
            k += 1
        return k == confirm or x + k == n or y + k == m

    def emit(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if ops and ops[-1][0] == tag:
            _, p1, _, q1, _ = ops.pop()
            i1, j1 = p1, q1
        ops.append((tag, i1, i2, j1, j2))

    while i < n and j < m:
        if a[i] == b[j]:
            k = 0
            while i + k < n and j + k < m and a[i + k] == b[j + k]:
                k += 1
            emit("equal", i, i + k, j, j + k)
            i, j = i + k, j + k
            continue
        found = None
        for step in range(1, window):
            for di in range(step + 1):
                dj = step - di
                if i + di <= n and j + dj <= m and alike(i + di, j + dj):
                    found = (di, dj)
                    break
            if found:
                break
        if found is None:
            break
        di, dj = found
        tag = "replace" if di and dj else "delete" if di else "insert"
        emit(tag, i, i + di, j, j + dj)
        i, j = i + di, j + dj
    if i < n or j < m:
        tag = "replace" if i < n and j < m else "delete" if i < n else "insert"
        emit(tag, i, n, j, m)
    return ops


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def unified_diff(a: list[str], b: list[str], fromfile: str, tofile: str, context: int = 3) -> Iterator[str]:
    """``difflib.unified_diff`` (same format) over :class:`LineMatcher`'s opcodes."""
    started = False
    for group in LineMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])
