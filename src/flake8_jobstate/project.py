"""The project: what the analysed file imports from its own source tree, read from text, never run.

Two kinds of questions, one home:

* **Constants** (:class:`ConstEvaluator`): the members, strs and ints an expression holds — a tuple with one
  element imported from elsewhere, a set built with ``|``, ``frozenset(OTHER) | {X}``, a class attribute
  reached through ``self`` or ``Class.X``, names imported from other modules of the same source tree
  (``from .constants import TERMINAL_STATES``). Sibling modules are reduced to their module- and class-level
  simple statements for this.
* **Summaries** (:class:`ProjectView`, the resolver's project hook): what a function, method, class or
  module-level name of another project module is — a whole module resolved by the same :class:`Resolver`,
  which answers lazily (a function's summary is computed when it is called). An ``ast`` index of each module
  answers "is it a class, a function, or an import from elsewhere" without a libcst parse.

Modules are found on disk relative to the analysed file (never the SDK packages), parsed once per process and
content, and every module an analysis read is recorded (:meth:`SourceTree.reads`) so a cache can key on it.
Everything here is conservative: anything not understood is ``None`` (unknown).
"""

from __future__ import annotations

import ast
import io
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Union

import libcst as cst

from . import reads
from .paths import FINDER, SDK_PACKAGES
from .text import split_lines
from .config import Config
from .errors import ParseError
from .guard import guard
from .model import EnumClass
from .resolver import (
    CONFLICT,
    SUMMARY_VALUES,
    Chain,
    Coll,
    EnumRef,
    Func,
    LazyModule,
    Opaque,
    Path,
    Resolver,
    SelfRef,
    StateVal,
    UserClass,
    Value,
    dotted,
    int_literal,
    str_literal,
)

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
            TREE.note(self.path, sibling.path)
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


class SourceTree:
    """Reads and caches other modules of the analysed file's source tree (per process); every content read
    and every existence test is reported to ``reads`` (on cache hits too)."""

    def __init__(self) -> None:
        self._modules: dict[tuple[str, int, int, Config], Optional[ConstEvaluator]] = {}
        self._summaries: dict[tuple[str, int, int, Config], Optional[Resolver]] = {}
        self._index: dict[tuple[str, int, int], dict[str, str]] = {}
        self._digests: dict[tuple[str, int, int], str] = {}
        self._deps: dict[str, set[str]] = {}  # module -> the modules its answers read (cached answers re-report them)

    def note(self, from_path: str, read_path: str) -> None:
        """``from_path``'s answers depend on ``read_path`` (reported again whenever a cached answer is used)."""
        if from_path != read_path:
            self._deps.setdefault(os.path.abspath(from_path), set()).add(read_path)

    def _note_closure(self, path: str) -> None:
        seen = {os.path.abspath(path)}
        stack = [path]
        while stack:
            for dep in self._deps.get(os.path.abspath(stack.pop()), ()):
                if os.path.abspath(dep) not in seen:
                    seen.add(os.path.abspath(dep))
                    self._text(dep)
                    stack.append(dep)

    def clear(self) -> None:
        self._modules.clear()
        self._summaries.clear()
        self._index.clear()
        self._digests.clear()
        self._deps.clear()
        FINDER.clear()

    def find(self, from_path: str, level: int, parts: list[str]) -> Optional[str]:
        """The file of module ``parts`` imported (at ``level``) from the file ``from_path``, in its source tree."""
        return FINDER.find(from_path, level, parts)

    def module(self, from_path: str, level: int, parts: list[str], config: Config, depth: int) -> Optional[ConstEvaluator]:
        """The evaluator of module ``parts`` imported (at ``level``) from the file ``from_path``."""
        candidate = self.find(from_path, level, parts)
        return self._load(candidate, config, depth) if candidate is not None else None

    def index(self, path: str) -> dict[str, str]:
        """What each module-level name of a project module is, from its ``ast`` (cheap, no libcst):
        "class", "def", "value", or the import path it comes from (``.base.Worker``, ``pkg.mod.Name``)."""
        source = self._text(path)
        if source is None:
            return {}
        key = self._key(path)
        found = self._index.get(key) if key is not None else None
        if found is not None:
            return found
        if len(self._index) >= _MAX_CACHED * 4:
            self._index.clear()
        out: dict[str, str] = {}
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = ast.Module(body=[], type_ignores=[])
        for node in _index_statements(tree.body):
            if isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name != "*":
                        sep = "." if base and not base.endswith(".") else ""
                        _index_bind(out, alias.asname or alias.name, f"{base}{sep}{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    _index_bind(out, alias.asname or alias.name.split(".")[0], "value")
            elif isinstance(node, ast.ClassDef):
                _index_bind(out, node.name, "class")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                _index_bind(out, node.name, "def")
            else:
                for target in getattr(node, "targets", None) or [getattr(node, "target", None)]:
                    for n in ast.walk(target) if target is not None else ():
                        if isinstance(n, ast.Name):
                            _index_bind(out, n.id, "value")
        if key is not None:
            self._index[key] = out
        return out

    def summaries(self, path: str, config: Config, depth: int) -> Optional[Resolver]:
        """The resolver of a whole project module (its functions, classes and names answer questions lazily),
        parsed once per process and content (never imported or run)."""
        return self._cached(self._summaries, path, config, _reduce_for_summaries,
                            lambda m: Resolver(m, config, ProjectView(path, config, depth)).run(), _MAY_SUMMARISE)

    def _load(self, path: str, config: Config, depth: int) -> Optional[ConstEvaluator]:
        return self._cached(self._modules, path, config, _reduce,
                            lambda m: ConstEvaluator(m, Resolver(m, config).run(), path, config, depth))

    def _key(self, path: str) -> Optional[tuple[str, int, int]]:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (path, st.st_mtime_ns, st.st_size)

    def _text(self, path: str) -> Optional[str]:
        """The module's text (None: missing, too big or not UTF-8), its read reported to ``reads``."""
        key = self._key(path)
        if key is None:
            reads.note(path, None)
            return None
        if key[2] > _MAX_BYTES:
            if reads.recording_active():
                reads.note(path, _read_bytes(path))  # shrinking it would change the answer
            return None
        raw = _read_bytes(path)
        if raw is None:
            reads.note(path, None)
            return None
        if reads.recording_active():
            known = self._digests.get(key)
            if known is None:
                if len(self._digests) >= _MAX_CACHED * 4:
                    self._digests.clear()
                known = self._digests[key] = reads.digest(raw)
            reads.note_digest(path, known)
        try:
            return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()  # as open(path, encoding="utf-8")
        except (UnicodeDecodeError, ValueError):
            return None

    def _cached(self, cache: dict, path: str, config: Config, reduce: Callable[[str, Optional[ast.AST]], str],
                build: Callable[[cst.Module], object], gate: Optional["re.Pattern[str]"] = None) -> Any:
        """``build`` of the reduced, parsed module at ``path``, once per process, content and configuration."""
        key = self._key(path)
        if key is not None and key + (config,) in cache:
            if reads.recording_active():
                self._text(path)  # the answer depends on the content (and on what it read): report them
                self._note_closure(path)
            return cache[key + (config,)]
        source = self._text(path)
        if source is None or key is None:
            return None
        if len(cache) >= _MAX_CACHED:
            cache.clear()
        cache[key + (config,)] = None  # also guards import cycles
        if gate is not None and not gate.search(source):
            return None  # e.g. no Vertex/genai import, no getter, no state word: nothing it defines matters
        try:
            # what would crash libcst's parser never reaches it; the guard's ast is the one reduce works on
            tree = guard(source, max_size=config.max_file_size)
            module = cst.parse_module(reduce(source, tree))
        except (ParseError, SyntaxError, cst.ParserSyntaxError, RecursionError, ValueError, MemoryError):
            return None
        cache[key + (config,)] = built = build(module)
        return built


# what a module must spell for its summaries to matter (cheap text test before any parse)
_MAY_SUMMARISE = re.compile(r"aiplatform|vertexai|genai|JobState|PipelineState|\.state\b|get_\w*(?:job|pipeline)\b")
_MAX_SUMMARY_DEPTH = 3  # how many modules deep a summary follows the project's imports


class ProjectView:
    """The project as one analysed module sees it: what names imported from its source tree are.

    Handed to the module's :class:`Resolver` as its project hook. A name of a project module is answered by
    that module's own resolver (its summaries): a function (what it returns), a class (what its methods
    return and its instances store in ``self.<attr>``), a module-level value (a client, a job, a state, a
    set of members). Only modules of the same source tree are read; SDK packages never are.
    """

    def __init__(self, path: str, config: Config, depth: int = 0) -> None:
        self.path = path
        self.config = config
        self.depth = depth
        self._memo: dict[str, Value] = {}

    def lookup(self, path: str) -> Value:
        if path in self._memo:
            return self._memo[path]
        self._memo[path] = None  # cycles through re-exports
        v = self._lookup(path)
        self._memo[path] = v
        return v

    def _lookup(self, dotted_path: str) -> Value:
        if self.depth >= _MAX_SUMMARY_DEPTH or not self.path or self.path.startswith("<"):
            return None
        stripped = dotted_path.lstrip(".")
        level = len(dotted_path) - len(stripped)
        parts = stripped.split(".") if stripped else []
        # ``pkg.mod.Name``: the module is every part but the last (a name of a module, never a module itself)
        if len(parts) < 1 or (level == 0 and len(parts) < 2):
            return None
        if parts[:-1]:
            file = TREE.find(self.path, level, parts[:-1])
        else:  # ``from . import name``: the package's ``__init__`` defines it
            file = TREE.find(self.path, level, ["__init__"])
        if file is None:
            return None
        TREE.note(self.path, file)
        name = parts[-1]
        kind = TREE.index(file).get(name)
        if kind is None:
            return None
        if kind.startswith(".") or "." in kind:  # ``from .base import Worker`` there: follow it without parsing
            if self.depth + 1 >= _MAX_SUMMARY_DEPTH or kind.lstrip(".").split(".")[0] in SDK_PACKAGES:
                return None
            return ProjectView(file, self.config, self.depth + 1).lookup(kind)
        if kind == "class":  # the class's module is parsed only when a member is asked for
            config, depth = self.config, self.depth + 1
            return UserClass(name, LazyModule(lambda: TREE.summaries(file, config, depth)), file)
        sibling = TREE.summaries(file, self.config, self.depth + 1)
        return _exported(sibling, name) if sibling is not None else None


def _index_statements(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    for node in body:
        if isinstance(node, (ast.If, ast.Try)):
            yield from _index_statements(node.body)
            for h in getattr(node, "handlers", []):
                yield from _index_statements(h.body)
            yield from _index_statements(node.orelse)
        else:
            yield node


def _index_bind(out: dict[str, str], name: str, kind: str) -> None:
    """A name bound twice in different ways is a "value" (the resolver decides what it is)."""
    out[name] = kind if out.get(name, kind) == kind else "value"


def _exported(resolver: Resolver, name: str) -> Value:
    """What a module-level name of a project module is, for an importer."""
    v = resolver.module_scope.env.get(name)
    if isinstance(v, Opaque) and v.tag in resolver.class_tags:
        return UserClass(resolver.class_tags[v.tag], LazyModule(lambda: resolver))
    if isinstance(v, Path) and resolver.project is not None and not v.path.split(".")[0] in SDK_PACKAGES:
        return resolver.project.lookup(v.path)  # a re-export: ``from .base import Worker`` in the package
    if isinstance(v, (Func, EnumRef, Coll) + SUMMARY_VALUES):
        return v
    return None


# a function can give a summary only if it returns something that names a job, a client or a state, or stores
# an attribute on ``self`` (cheap text tests; others are stubbed before the parse)
_MAY_RETURN = re.compile(r"(?i)\breturn\b[^\n]*(?:job|pipeline|client|batches|tunings|state)|\bself\.\w+\s*(?::[^=\n]*)?=(?!=)")


def stub_lines(lines: list[str], start: int, end: int, head: str, raises: bool = False) -> None:
    """Lines ``start..end`` (1-based) become ``head`` at the first line's indentation with a body that keeps
    the line count: ``pass`` on one line, else one triple-quoted string of empty lines closed on line ``end``.
    (Blank lines would cost libcst one node each; the string is a single token.) ``raises``: the body ends in
    ``raise`` instead, for a function that never returns (its callers' wait loops end there)."""
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip(" \t\f"))]
    eol = first[len(first.rstrip("\r\n")) :] or "\n"
    sep = " " if head else ""
    if start == end:
        lines[start - 1] = f"{indent}{head}{sep}{'raise' if raises else 'pass'}{eol}"
        return
    lines[start - 1] = f'{indent}{head}{sep}"""{eol}'
    for i in range(start, end):
        ln = lines[i]
        lines[i] = ln[len(ln.rstrip("\r\n")) :]
    last = lines[end - 1]
    lines[end - 1] = ('"""; raise' if raises else '"""') + last


def _reduce_for_summaries(source: str, tree: Optional[ast.AST] = None) -> str:
    """The module without what cannot define a summary, line for line: top-level expressions, loops, ``with``
    blocks and ``if __name__ == "__main__":`` blanked; functions and methods that return nothing that names a
    job, client or state (and store nothing on ``self``) stubbed. ``tree``: the ast of ``source``, when known."""
    tree = ast.parse(source) if tree is None else tree
    lines = split_lines(source)
    spans: list[tuple[int, int, str]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if node.end_lineno is None:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                if not _MAY_RETURN.search("".join(lines[node.lineno - 1 : node.end_lineno])):
                    spans.append((start, node.end_lineno, f"def {node.name}(*a, **k):"))
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    for node in tree.body:
        drop = isinstance(node, (ast.Expr, ast.For, ast.While, ast.With, ast.AsyncFor, ast.AsyncWith))
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            drop = True
        if drop and node.end_lineno is not None and node.col_offset == 0:
            spans.append((node.lineno, node.end_lineno, ""))
    if any(end > len(lines) for _, end, _ in spans):
        return source
    for start, end, code in spans:
        stub_lines(lines, start, end, code)
    return "".join(lines)


def _read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _reduce(source: str, tree: Optional[ast.AST] = None) -> str:
    """The source of only what defines module- and class-level constants: imports, simple assignments and
    class bodies reduced to their simple assignments (found with ``ast``, which is much cheaper than parsing
    the whole module with libcst; the reduced text is small). ``tree``: the ast of ``source``, when known."""
    tree = ast.parse(source) if tree is None else tree
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
