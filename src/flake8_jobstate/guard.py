"""The checks made before libcst's parser sees a text: its size, Python's own parser, the nesting depth.

libcst's native parser crashes the process (SIGSEGV) on very deep nesting and needs about 1 GB of memory per
MB of source, so every text it parses, the analysed file's or a sibling module's read for a summary, goes
through :func:`guard` first.
"""

from __future__ import annotations

import ast
from typing import Optional

from .config import DEFAULT_MAX_FILE_SIZE
from .errors import ParseError, Skipped


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


MAX_DEPTH = 1000  # libcst's native parser crashes (SIGSEGV) from about 1,270 nested levels; Python caps brackets at 200


def python_tree(source: str) -> ast.AST:
    """The ``ast`` of ``source``, or ParseError with Python's reason (what Python rejects never reaches libcst)."""
    try:
        return compile(source, "<source>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as e:
        where = f" (line {e.lineno})" if e.lineno else ""
        raise ParseError(f"{e.msg}{where}") from None
    except (ValueError, MemoryError, RecursionError) as e:  # NUL bytes; too deep for Python's own parser
        raise ParseError(_one_line(e) if str(e) else f"{type(e).__name__} in Python's parser") from None


def nesting_depth(tree: ast.AST, limit: int = MAX_DEPTH) -> int:
    """The depth libcst's parser would recurse to, read off the ``ast`` without recursion (stops past ``limit``).

    An ``a or b or c`` chain is one node in the ``ast`` but a chain of nested nodes in libcst, so a boolean
    operation with N operands counts N - 1 levels."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1))
    return deepest


def check_size(source: str, max_size: int) -> None:
    if max_size and len(source) > max_size:
        raise Skipped(f"{len(source):,} characters, over max-file-size ({max_size:,}); raise it to check this file")


def guard(source: str, tree: Optional[ast.AST] = None, max_size: int = DEFAULT_MAX_FILE_SIZE) -> ast.AST:
    """The checks made before libcst sees a text: size, Python's own parser, nesting depth. Returns the
    ``ast`` (``tree`` when given: it must be the ``ast`` of ``source`` or of the text ``source`` was reduced
    from); raises Skipped."""
    check_size(source, max_size)
    if tree is None:
        tree = python_tree(source)
    depth = nesting_depth(tree)
    if depth > MAX_DEPTH:
        raise Skipped(f"nested more than {MAX_DEPTH} levels deep (libcst's parser cannot take it)")
    return tree
