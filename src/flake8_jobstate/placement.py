"""Where a fix may spell an enum member, and where it may add the import that spelling needs.

A fix must leave the module importable exactly where it was importable before. So, in this order:

1. reuse a binding that already reaches the class (``aip.JobState``, ``gca_job_state.JobState``,
   ``aiplatform_v1.JobState``, ``JobState``) and is visible at the finding;
2. add ``from google.cloud.aiplatform_v1 import JobState`` at module level only when the module already imports
   the Vertex SDK unconditionally at module level (a statement of the module's own body, not under ``try``,
   ``if`` or ``with``);
3. otherwise add it right after an existing import of the SDK that runs before the finding's code: in the same
   function, or in the same ``try:`` body (an optional extra), so it is bound exactly when the SDK is;
4. otherwise offer no fix (``Placement.reason`` says why).

Inside a Kubeflow Pipelines lightweight component (a function decorated ``@component`` / ``@dsl.component``)
only the function's own source is shipped to the container: there, only bindings and imports inside the
function count, and a new import goes inside it.

A new name is never one the module already uses anywhere (as a binding or a reference), so it neither shadows
nor is shadowed, and two fixes needing the same import get the very same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Union

import libcst as cst

from . import model
from .resolver import Resolver, iter_children

Anchor = cst.SimpleStatementLine


class Import(NamedTuple):
    """``from module import name [as asname]``; ``after`` None: at module level (LibCST's AddImportsVisitor),
    else a new line right after that statement, in its block."""

    module: str
    name: str
    asname: Optional[str]
    after: Optional[Anchor] = None

    def code(self) -> str:
        return f"from {self.module} import {self.name}" + (f" as {self.asname}" if self.asname else "")


def _dotted(node: Union[cst.BaseExpression, None]) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = _dotted(node.value)
        return f"{left}.{node.attr.value}" if left else ""
    return ""


def _imports_sdk(stmt: cst.SimpleStatementLine) -> bool:
    """The line imports a module of the Vertex SDK distribution (so ``google.cloud.aiplatform_v1`` is there)."""
    for small in stmt.body:
        if isinstance(small, cst.Import):
            if any(model.ships_with_sdk(_dotted(a.name)) for a in small.names):
                return True
        elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
            base = _dotted(small.module)
            if model.ships_with_sdk(base):
                return True
            if not isinstance(small.names, cst.ImportStar) and any(
                model.ships_with_sdk(f"{base}.{_dotted(a.name)}") for a in small.names
            ):
                return True
    return False


def is_component(fn: cst.FunctionDef) -> bool:
    """A Kubeflow Pipelines lightweight component: ``@component``, ``@dsl.component``, ``@dsl.component(...)``."""
    for d in fn.decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        name = _dotted(expr).rsplit(".", 1)[-1]
        if name.endswith("component"):
            return True
    return False


@dataclass
class _Index:
    parent: dict[int, cst.CSTNode] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    anchors: list[Anchor] = field(default_factory=list)


def _index(module: cst.Module) -> _Index:
    idx = _Index()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            idx.names.add(node.value)
        elif isinstance(node, cst.SimpleStatementLine) and _imports_sdk(node):
            idx.anchors.append(node)
        for child in iter_children(node):
            idx.parent[id(child)] = node
            stack.append(child)
    return idx


class Placement:
    """Per analysed module (built on first use, kept on the resolver)."""

    def __init__(self, module: cst.Module, resolver: Resolver) -> None:
        self.module = module
        self.resolver = resolver
        self._idx: Optional[_Index] = None
        self.reason = ""

    @classmethod
    def of(cls, module: cst.Module, resolver: Resolver) -> "Placement":
        found = getattr(resolver, "_placement", None)
        if found is None or found.module is not module:
            found = cls(module, resolver)
            resolver._placement = found  # type: ignore[attr-defined]
        return found

    @property
    def idx(self) -> _Index:
        if self._idx is None:
            self._idx = _index(self.module)
        return self._idx

    def _chain(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """``node`` and its ancestors, innermost first, up to the module."""
        out = [node]
        parent = self.idx.parent
        while id(out[-1]) in parent:
            out.append(parent[id(out[-1])])
        return out

    # -- the decision ------------------------------------------------------------------------------------------

    def member_expr(
        self, cls: model.EnumClass, member: str, at: cst.CSTNode
    ) -> tuple[Optional[str], tuple[Import, ...]]:
        """Code for ``cls.member`` at ``at`` and the imports it needs; (None, ()) when no safe spelling exists."""
        chain = self._chain(at)
        component = next((n for n in chain if isinstance(n, cst.FunctionDef) and is_component(n)), None)
        spelled = self.resolver.spelling(cls, self._scoped(chain), within=component)
        if spelled is not None:
            return f"{spelled}.{member}", ()
        module = model.import_module(cls)
        if module is None:
            self.reason = "no import module for this class"
            return None, ()
        name = self._free_name(cls)
        if name is None:
            self.reason = f"the names {cls.name} and its alias are taken in this module"
            return None, ()
        asname = None if name == cls.name else name
        if component is None and any(self._unconditional(a) for a in self.idx.anchors):
            return f"{name}.{member}", (Import(module, cls.name, asname),)
        anchor = self._anchor_before(chain, component)
        if anchor is None:
            self.reason = (
                "inside a Kubeflow component without its own Vertex import" if component is not None
                else "the module imports the Vertex SDK only conditionally or not before this code"
            )
            return None, ()
        return f"{name}.{member}", (Import(module, cls.name, asname, anchor),)

    def _scoped(self, chain: list[cst.CSTNode]) -> cst.CSTNode:
        """The innermost node of the chain the resolver knows the scope of."""
        for n in chain:
            if id(n) in self.resolver._scope_of:
                return n
        return chain[-1]

    def _free_name(self, cls: model.EnumClass) -> Optional[str]:
        alias = f"Vertex{cls.name}" if cls.version == "v1" else f"{cls.name}V1beta1"
        for name in (cls.name, alias):
            if name not in self.idx.names:
                return name
        return None

    def _unconditional(self, anchor: Anchor) -> bool:
        return self.idx.parent.get(id(anchor)) is self.module

    def _anchor_before(self, chain: list[cst.CSTNode], component: Optional[cst.FunctionDef]) -> Optional[Anchor]:
        """The innermost SDK import that runs before the code of ``chain`` in a block enclosing it, reached from
        that block through ``try:`` bodies only; inside ``component`` when given."""
        on_chain = {id(n): i for i, n in enumerate(chain)}
        best: Optional[tuple[int, Anchor]] = None
        for anchor in self.idx.anchors:
            a_chain = self._chain(anchor)
            # the lowest block of the anchor's ancestry that also encloses the finding
            for k, node in enumerate(a_chain):
                if id(node) in on_chain:
                    break
            else:
                continue
            block, depth = a_chain[k], on_chain[id(a_chain[k])]
            if component is not None and not any(n is component for n in a_chain):
                continue  # only the component's own source reaches the container
            if not isinstance(block, (cst.Module, cst.IndentedBlock)):
                continue
            # between the block and the anchor: only ``try:`` bodies
            path = a_chain[1:k]
            if not all(isinstance(n, (cst.IndentedBlock, cst.Try)) for n in path):
                continue
            if any(isinstance(n, cst.IndentedBlock) and not isinstance(self.idx.parent.get(id(n)), cst.Try)
                   for n in path):
                continue
            if any(isinstance(n, cst.Try) and a_chain[i - 1] is not n.body for i, n in enumerate(a_chain) if 0 < i < k):
                continue
            # the statements of the block holding the anchor side and the finding side: anchor's comes first
            if depth == 0:
                continue
            positions = {id(st): i for i, st in enumerate(block.body)}
            a_pos, f_pos = positions.get(id(a_chain[k - 1])), positions.get(id(chain[depth - 1]))
            if a_pos is None or f_pos is None or a_pos >= f_pos:
                continue
            if best is None or depth < best[0]:
                best = (depth, anchor)
        return best[1] if best else None
