"""Exceptions the front ends catch, in a module light enough to import before any analysis is needed."""

from __future__ import annotations


class ParseError(Exception):
    """libcst could not parse the source."""


class NotebookError(Exception):
    """The file is not a notebook we can read (bad JSON, no cells, ...)."""


class Skipped(ParseError):
    """The file is not handed to libcst at all: Python rejects it, or it is too deep or too big for libcst's
    parser (which segfaults on very deep nesting and needs about 1 GB of memory per MB of source)."""
