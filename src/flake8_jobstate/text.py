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
from typing import Optional

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
        matcher = difflib.SequenceMatcher(None, base, lines, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
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
