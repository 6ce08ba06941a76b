"""Constants of state members, resolved across the analysed file and its source tree.

The resolver knows members and collections spelled in the analysed file. The JS2xx rules also need
collections that it cannot build: a tuple with one element imported from elsewhere, a set built with ``|``,
``frozenset(OTHER) | {X}``, a class attribute reached through ``self`` or ``Class.X``, and names imported
from other modules of the same source tree (``from .constants import TERMINAL_STATES``). This module
evaluates such expressions into :class:`Consts` and reads sibling modules on demand (parsed once per
process, reduced to their module- and class-level simple statements, resolved with the same resolver).

Everything here is conservative: anything not understood evaluates to ``None`` (unknown).
"""

from __future__ import annotations

import ast
import io
import os
from dataclasses import dataclass
from typing import Iterable, Optional, Union

import libcst as cst

from . import reads
from .config import Config
from .model import EnumClass
from .resolver import CONFLICT, Chain, Coll, Opaque, Path, Resolver, SelfRef, StateVal, dotted, int_literal, str_literal

# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consts:
    """A known set of constants: enum members (class, member), str literals and int literals."""

    items: frozenset[tuple[EnumClass, str]] = frozenset()
    strs: frozenset[str] = frozenset()
    ints: frozenset[int] = frozenset()
    scalar: bool = False  # one str or int literal, not a container

    def __or__(self, other: "Consts") -> "Consts":
        return Consts(self.items | other.items, self.strs | other.strs, self.ints | other.ints)

    def __sub__(self, other: "Consts") -> "Consts":
        names = {m for _, m in other.items}
        return Consts(
            frozenset(i for i in self.items if i[1] not in names), self.strs - other.strs, self.ints - other.ints
        )

    @property
    def classes(self) -> frozenset[EnumClass]:
        return frozenset(c for c, _ in self.items)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(m for _, m in self.items)

    @property
    def only_members(self) -> bool:
        return bool(self.items) and not self.strs and not self.ints


_WRAPPERS = ("frozenset", "set", "tuple", "list", "sorted")
_MAX_DEPTH = 4  # how many modules deep an imported constant is followed


@dataclass(frozen=True)
class _Binding:
    """How a module-level name was imported: ``from <level/module> import <name>`` or ``import <module>``."""

    level: int
    module: str
    name: Optional[str]  # None for ``import module``


# ---------------------------------------------------------------------------------------------------------------
# The evaluator (one per analysed module, one per sibling module)
# ---------------------------------------------------------------------------------------------------------------


class ConstEvaluator:
    """``consts(expr)``: the constants an expression of this module holds, or None."""

    def __init__(self, module: cst.Module, resolver: Resolver, path: str, config: Config, depth: int = 0) -> None:
        self.module = module
        self.resolver = resolver
        self.path = path
        self.config = config
        self.depth = depth
        self._memo: dict[int, Optional[Consts]] = {}
        self._busy: set[int] = set()
        self._busy_names: set[str] = set()
        self._tags: Optional[dict[int, cst.BaseExpression]] = None
        self._classes: Optional[dict[str, cst.ClassDef]] = None
        self._class_ids: Optional[dict[int, cst.ClassDef]] = None
        self._imports: Optional[dict[str, Optional[_Binding]]] = None

    # -- public -------------------------------------------------------------------------------------------------

    def consts(self, node: cst.BaseExpression) -> Optional[Consts]:
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return None
        self._busy.add(key)
        try:
            v = self._consts(node)
        finally:
            self._busy.discard(key)
        self._memo[key] = v
        return v

    def name_value(self, name: str) -> Optional[Consts]:
        """The constants a module-level name holds at the end of the module (for importers)."""
        if name in self._busy_names:  # an import cycle
            return None
        self._busy_names.add(name)
        try:
            v = self.resolver.module_scope.env.get(name)
            if isinstance(v, Path):
                return self._imported_chain(name)
            return self._from_value(v, None)
        finally:
            self._busy_names.discard(name)

    def class_attr(self, class_name: str, attr: str, seen: Optional[set[str]] = None) -> Optional[Consts]:
        """A class attribute of a class defined in this module (bases in this module followed)."""
        cdef = self.classes().get(class_name)
        if cdef is not None:
            values = [v for name, v in _class_level(cdef) if name == attr]
            if values:
                return self.consts(values[-1]) if len(values) == 1 else None
        attrs = self.resolver.class_attrs.get(class_name)
        if attrs is not None and attr in attrs:
            return self._from_value(attrs[attr], None)
        if cdef is None:
            return None
        seen = seen if seen is not None else set()
        seen.add(class_name)
        for base in cdef.bases:
            if isinstance(base.value, cst.Name) and base.value.value not in seen:
                found = self.class_attr(base.value.value, attr, seen)
                if found is not None:
                    return found
        return None

    def classes(self) -> dict[str, cst.ClassDef]:
        if self._classes is None:
            self._classes = {}
            self._class_ids = {}
            for stmt in _top_level(self.module.body):
                if isinstance(stmt, cst.ClassDef):
                    self._classes[stmt.name.value] = stmt
                    self._class_ids[id(stmt)] = stmt
        return self._classes

    def assigned_value(self, tag: int) -> Optional[cst.BaseExpression]:
        """The value of the Assign/AnnAssign whose binding carries ``tag`` (the resolver's Opaque tag)."""
        if self._tags is None:
            self._tags = {}
            for a in self.resolver.sites.get(cst.Assign, []):
                assert isinstance(a, cst.Assign)
                self._tags[id(a)] = a.value
            for stmt in _top_level(self.module.body):
                blocks = [stmt]
                if isinstance(stmt, cst.ClassDef):
                    blocks = list(_top_level(_body(stmt.body)))
                for s in blocks:
                    if isinstance(s, cst.SimpleStatementLine):
                        for small in s.body:
                            if isinstance(small, cst.AnnAssign) and small.value is not None:
                                self._tags[id(small)] = small.value
        return self._tags.get(tag)

    # -- evaluation --------------------------------------------------------------------------------------------

    def _consts(self, node: cst.BaseExpression) -> Optional[Consts]:  # noqa: C901 - one dispatch
        s = str_literal(node)
        if s is not None:
            return Consts(strs=frozenset({s}), scalar=True)
        i = int_literal(node)
        if i is not None:
            return Consts(ints=frozenset({i}), scalar=True)
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            out = Consts()
            if not node.elements:
                return None
            for el in node.elements:
                v = self.consts(el.value)
                if v is None:
                    return None
                out = out | v
            return out
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, (cst.BitOr, cst.Add, cst.Subtract)):
                a, b = self.consts(node.left), self.consts(node.right)
                if a is None or b is None:
                    return None
                return a - b if isinstance(node.operator, cst.Subtract) else a | b
            return None
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, (cst.Name, cst.Attribute)):
            v = self.resolver.resolve(node)
            return self._from_value(v, node)
        return None

    def _call(self, node: cst.Call) -> Optional[Consts]:
        func = node.func
        args = [a for a in node.args]
        if any(a.keyword is not None or a.star for a in args):
            return None
        if isinstance(func, cst.Name) and func.value in _WRAPPERS and self._builtin(func):
            if len(args) == 1:
                return self.consts(args[0].value)
            return None
        if isinstance(func, cst.Attribute) and func.attr.value == "union":
            out = self.consts(func.value)
            for a in args:
                if out is None:
                    return None
                v = self.consts(a.value)
                out = out | v if v is not None else None
            return out
        # members spelled as E(4) / E["X"]: the resolver knows them
        v = self.resolver.resolve(node)
        if isinstance(v, StateVal) and v.member is not None and v.exact is not None:
            return Consts(items=frozenset({(v.exact, v.member)}))
        return None

    def _builtin(self, name: cst.Name) -> bool:
        return self.resolver.module_scope.lookup(name.value) is None

    def _from_value(self, v: object, node: Optional[cst.BaseExpression]) -> Optional[Consts]:
        if v is None or v is CONFLICT:
            return None
        if isinstance(v, Coll):
            return Consts(items=frozenset(v.items)) if v.items else None
        if isinstance(v, StateVal):
            if v.member is not None and v.exact is not None and v.literal:
                return Consts(items=frozenset({(v.exact, v.member)}))
            return None
        if isinstance(v, Opaque):
            value = self.assigned_value(v.tag)
            return self.consts(value) if value is not None else None
        if isinstance(v, Chain):
            if not v.attrs:
                value = self.assigned_value(v.tag)
                return self.consts(value) if value is not None else None
            if node is not None and isinstance(node, cst.Attribute) and len(v.attrs) == 1:
                self.classes()
                assert self._class_ids is not None
                cdef = self._class_ids.get(v.tag)
                if cdef is not None:
                    return self.class_attr(cdef.name.value, v.attrs[0])
                base = self.resolver.resolve(node.value)
                if isinstance(base, SelfRef):
                    return self.class_attr(base.class_name, v.attrs[0])
            return None
        if isinstance(v, Path) and node is not None:
            return self._imported(node)
        return None

    # -- imports from the source tree -------------------------------------------------------------------------

    def imports(self) -> dict[str, Optional[_Binding]]:
        """Module-level import bindings: name -> binding (None when bound by several different imports)."""
        if self._imports is None:
            found: dict[str, Optional[_Binding]] = {}

            def add(name: str, b: _Binding) -> None:
                if name in found and found[name] != b:
                    found[name] = None
                else:
                    found[name] = b

            for stmt in _top_level(self.module.body, into_blocks=True):
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                        level = len(small.relative)
                        module = (dotted(small.module) or "") if small.module is not None else ""
                        for alias in small.names:
                            name = dotted(alias.name) or ""
                            bound = _asname(alias) or name
                            add(bound, _Binding(level, module, name))
                    elif isinstance(small, cst.Import):
                        for alias in small.names:
                            full = dotted(alias.name) or ""
                            asname = _asname(alias)
                            if asname:
                                add(asname, _Binding(0, full, None))
                            else:
                                top = full.split(".")[0]
                                add(top, _Binding(0, top, None))
            self._imports = found
        return self._imports

    def _imported(self, node: cst.BaseExpression) -> Optional[Consts]:
        chain = dotted(node)
        return self._imported_chain(chain) if chain is not None else None

    def _imported_chain(self, chain: str) -> Optional[Consts]:
        if self.depth >= _MAX_DEPTH or not self.path or self.path.startswith("<"):
            return None
        root, *rest = chain.split(".")
        binding = self.imports().get(root)
        if binding is None:
            return None
        if binding.name is None:
            parts = binding.module.split(".") + rest
            level = 0
        else:
            parts = (binding.module.split(".") if binding.module else []) + [binding.name] + rest
            level = binding.level
        # the longest prefix that is a module file of this tree; the rest is attribute access
        for cut in range(len(parts) - 1, 0, -1):
            mod_parts, attrs = parts[:cut], parts[cut:]
            if len(attrs) > 2:
                break
            sibling = TREE.module(self.path, level, mod_parts, self.config, self.depth + 1)
            if sibling is None:
                continue
            if len(attrs) == 1:
                return sibling.name_value(attrs[0])
            return sibling.class_attr(attrs[0], attrs[1])
        return None


def _class_level(cdef: cst.ClassDef) -> Iterable[tuple[str, cst.BaseExpression]]:
    """(name, value) of the simple assignments in a class body."""
    for st in _body(cdef.body):
        if isinstance(st, cst.SimpleStatementLine):
            for small in st.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            yield t.target.value, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                    yield small.target.value, small.value


def _asname(alias: Union[cst.ImportAlias]) -> Optional[str]:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _body(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    return [cst.SimpleStatementLine(body=list(block.body))]  # type: ignore[attr-defined]


def _top_level(stmts: Iterable[cst.CSTNode], into_blocks: bool = False) -> Iterable[cst.CSTNode]:
    """Module-level statements; with ``into_blocks`` also those inside top-level if/try blocks."""
    for s in stmts:
        yield s
        if into_blocks and isinstance(s, (cst.If, cst.Try)):
            yield from _top_level(_body(s.body), into_blocks)
            if isinstance(s, cst.Try):
                for h in s.handlers:
                    yield from _top_level(_body(h.body), into_blocks)
            elif isinstance(s.orelse, cst.Else):
                yield from _top_level(_body(s.orelse.body), into_blocks)


# ---------------------------------------------------------------------------------------------------------------
# Sibling modules: found on disk relative to the analysed file, parsed once per process
# ---------------------------------------------------------------------------------------------------------------

_MAX_BYTES = 300_000  # a constants module is small; huge generated modules are not worth parsing
_MAX_CACHED = 256  # sibling modules kept per process
_SDK_PACKAGES = frozenset({"google", "vertexai", "agentplatform"})


class SourceTree:
    """Reads and caches other modules of the analysed file's source tree (per process)."""

    def __init__(self) -> None:
        self._modules: dict[tuple[str, int, int, Config], Optional[ConstEvaluator]] = {}
        self._roots: dict[str, tuple[str, ...]] = {}
        self._probes: dict[str, list[str]] = {}  # the __init__.py files a root search found (reported to reads)
        self._digests: dict[tuple[str, int, int, Config], str] = {}

    def clear(self) -> None:
        self._modules.clear()
        self._roots.clear()
        self._probes.clear()
        self._digests.clear()

    def module(self, from_path: str, level: int, parts: list[str], config: Config, depth: int) -> Optional[ConstEvaluator]:
        """The evaluator of module ``parts`` imported (at ``level``) from the file ``from_path``."""
        if not parts or any(not p.isidentifier() for p in parts):
            return None
        if level == 0 and parts[0] in _SDK_PACKAGES:
            return None  # the SDKs' own constants are facts of the model (SDK_SETS), never read from disk
        for base in self._bases(from_path, level):
            for candidate in (os.path.join(base, *parts) + ".py", os.path.join(base, *parts, "__init__.py")):
                if os.path.isfile(candidate):
                    if os.path.abspath(candidate) == os.path.abspath(from_path):
                        return None
                    return self._load(candidate, config, depth)
                reads.note_exists(candidate, False)  # creating it would change the answer
        return None

    def _bases(self, from_path: str, level: int) -> tuple[str, ...]:
        here = os.path.dirname(os.path.abspath(from_path))
        if level > 0:
            base = here
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return (base,)
        if here not in self._roots:
            top = here
            probes = []
            while os.path.isfile(os.path.join(top, "__init__.py")) and os.path.dirname(top) != top:
                probes.append(os.path.join(top, "__init__.py"))
                top = os.path.dirname(top)
            self._probes[here] = probes + [os.path.join(top, "__init__.py")]
            self._roots[here] = (here,) if top == here else (here, top)
        if reads.recording_active():
            *found, last = self._probes[here]
            for probe in found:
                reads.note_exists(probe, True)
            reads.note_exists(last, False)
        return self._roots[here]

    def _load(self, path: str, config: Config, depth: int) -> Optional[ConstEvaluator]:
        try:
            st = os.stat(path)
        except OSError:
            reads.note(path, None)
            return None
        key = (path, st.st_mtime_ns, st.st_size, config)
        if key in self._modules:
            if reads.recording_active():
                known = self._digests.get(key)
                reads.note(path, _read_bytes(path)) if known is None else reads.note_digest(path, known)
            return self._modules[key]
        if len(self._modules) >= _MAX_CACHED:
            self._modules.clear()
            self._digests.clear()
        self._modules[key] = None  # also guards import cycles
        if st.st_size > _MAX_BYTES:
            if reads.recording_active():
                reads.note(path, _read_bytes(path))  # shrinking it would change the answer
            return None
        try:
            with open(path, "rb") as f:
                raw = f.read()
            self._digests[key] = reads.digest(raw)
            reads.note_digest(path, self._digests[key])
            source = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()  # as open(path, encoding="utf-8")
            module = cst.parse_module(_reduce(source))
        except (OSError, UnicodeDecodeError, SyntaxError, cst.ParserSyntaxError, RecursionError, ValueError):
            return None
        resolver = Resolver(module, config).run()
        ev = ConstEvaluator(module, resolver, path, config, depth)
        self._modules[key] = ev
        return ev


def _read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _reduce(source: str) -> str:
    """The source of only what defines module- and class-level constants: imports, simple assignments and
    class bodies reduced to their simple assignments (found with ``ast``, which is much cheaper than parsing
    the whole module with libcst; the reduced text is small)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)

    def segment(node: ast.stmt, indent: str = "") -> str:
        assert node.end_lineno is not None and node.end_col_offset is not None
        chunk = lines[node.lineno - 1 : node.end_lineno]
        if len(chunk) == 1:
            text = chunk[0][node.col_offset : node.end_col_offset]
        else:
            text = chunk[0][node.col_offset :] + "".join(chunk[1:-1]) + chunk[-1][: node.end_col_offset]
        return indent + text + "\n"

    def simple(node: ast.stmt) -> bool:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, ast.Assign):
            return all(isinstance(t, ast.Name) for t in node.targets)
        return isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name)

    out: list[str] = []
    for node in tree.body:
        if simple(node):
            out.append(segment(node))
        elif isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases if isinstance(b, (ast.Name, ast.Attribute))]
            out.append(f"class {node.name}({', '.join(bases)}):\n" if bases else f"class {node.name}:\n")
            body = [segment(b, "    ") for b in node.body if simple(b) and not isinstance(b, (ast.Import, ast.ImportFrom))]
            out.extend(body or ["    pass\n"])
        elif isinstance(node, (ast.If, ast.Try)):
            # ``try: from x import y`` / ``if TYPE_CHECKING:``: the imports and constants of the first block
            out.extend(segment(b) for b in node.body if simple(b) and b.col_offset == node.body[0].col_offset
                       and "\n" not in segment(b).rstrip("\n"))
    return "".join(out)


TREE = SourceTree()
