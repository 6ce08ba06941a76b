"""What a rule is: its metadata (one home for code, name, message, fix safety, docs) and what it reports."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterable, Iterator, Optional

import libcst as cst

from ..resolver import dotted, iter_children

if TYPE_CHECKING:
    from ..context import Context

SAFE = "safe"
UNSAFE = "unsafe"

# what a finding's message says when ``flake8-jobstate fix`` (or ``fix --unsafe-fixes``) would change it; the
# marker is derived from the finding's own Fix, so it is true exactly when the fixer has something to apply
MARKERS = {SAFE: "(fix available)", UNSAFE: "(unsafe fix available)"}

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options", "References")


@dataclass(frozen=True)
class Edit:
    """Replace ``node`` by the expression ``code``."""

    node: cst.CSTNode = field(compare=False)
    code: str


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    safe: bool
    # (module, name, asname) imports the edits need, scheduled with AddImportsVisitor
    imports: tuple[tuple[str, str, Optional[str]], ...] = ()
    title: str = ""


@dataclass
class Finding:
    """One reported problem. ``line`` is 1-based, ``col`` 0-based (libcst's positions)."""

    code: str
    message: str
    node: cst.CSTNode = field(compare=False, repr=False)
    fix: Optional[Fix] = field(default=None, compare=False)
    line: int = 0
    col: int = 0

    @property
    def applicability(self) -> Optional[str]:
        """SAFE / UNSAFE when ``fix`` (``fix --unsafe-fixes``) would change this finding, else None."""
        if self.fix is None:
            return None
        return SAFE if self.fix.safe else UNSAFE

    @property
    def shown_message(self) -> str:
        """The message with its fix marker, as every front end prints it."""
        kind = self.applicability
        return f"{self.message} {MARKERS[kind]}" if kind else self.message

    @property
    def text(self) -> str:
        return f"{self.code} {self.shown_message}"


class Rule:
    """Base class: subclasses set the metadata and implement :meth:`check`.

    The class docstring is the rule's documentation page, in ruff's sections (see ``DOC_SECTIONS``);
    ``docs/rules.md`` and the README table are generated from these attributes.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, describes the pattern
    summary: ClassVar[str]  # one line for the rule table
    message: ClassVar[str]  # "problem; hint" template, str.format fields
    fix: ClassVar[Optional[str]] = None  # None | SAFE | UNSAFE
    # text shared by several pages: ``{key}`` in the docstring is replaced by the value *after* the docstring's
    # indentation is removed, so a multi-line value is written without indentation and renders the same on every
    # Python (3.13 strips docstring indentation at compile time, earlier versions do not)
    doc_fragments: ClassVar[dict[str, str]] = {}
    registry: ClassVar[dict[str, type["Rule"]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"JS[0-9]{3}", getattr(cls, "code", "")):
            raise TypeError(f"{cls.__name__}: bad code")
        Rule.registry[cls.code] = cls

    def check(self, ctx: "Context") -> Iterable[Finding]:
        raise NotImplementedError

    def report(self, node: cst.CSTNode, fix: Optional[Fix] = None, **fields: object) -> Finding:
        return Finding(self.code, self.message.format(**fields), node, fix)

    # -- docs ------------------------------------------------------------------------------------------------

    @classmethod
    def doc_text(cls) -> str:
        """The documentation page: the docstring without its indentation, shared fragments filled in."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        for key, value in cls.doc_fragments.items():
            doc = doc.replace("{" + key + "}", value)
        return doc

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its sections (``## Title`` headings)."""
        doc = cls.doc_text()
        out: dict[str, str] = {}
        current = None
        for line in doc.splitlines():
            m = re.match(r"^## (.+)$", line)
            if m:
                current = m.group(1).strip()
                out[current] = ""
            elif current is not None:
                out[current] += line + "\n"
        return {k: v.strip("\n") for k, v in out.items()}

    @classmethod
    def example_code(cls, section: str) -> str:
        """The code of the first ```python block of a section."""
        text = cls.doc_sections().get(section, "")
        m = re.search(r"```python\n(.*?)```", text, re.S)
        return m.group(1) if m else ""



def iter_rules() -> Iterator[type[Rule]]:
    for code in sorted(Rule.registry):
        yield Rule.registry[code]


def guarded_by_try(module: cst.Module, exceptions: frozenset[str]) -> set[int]:
    """Ids of the nodes inside the body of a ``try`` with a handler for one of ``exceptions`` (by last dotted
    name; a bare ``except:`` catches everything). One walk of the tree: call it only when a rule has a candidate."""
    out: set[int] = set()
    stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    while stack:
        node, guarded = stack.pop()
        if guarded:
            out.add(id(node))
        if isinstance(node, cst.Try) and any(_catches(h, exceptions) for h in node.handlers):
            stack.append((node.body, True))
            stack.extend((c, guarded) for c in iter_children(node) if c is not node.body)
            continue
        stack.extend((c, guarded) for c in iter_children(node))
    return out


def _catches(handler: cst.ExceptHandler, exceptions: frozenset[str]) -> bool:
    if handler.type is None:
        return True
    types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return any((dotted(t) or "").rsplit(".", 1)[-1] in exceptions for t in types)
