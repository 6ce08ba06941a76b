"""Which expressions are states: our own light binding analysis over a libcst tree.

libcst's ScopeProvider/QualifiedNameProvider cost several times the parse on every file, so the resolver
walks the tree once itself, in execution order: imports (module-level and function-local), assignments,
annotations, parameters, ``for``/``with`` targets, branches merged conservatively (a name bound differently
on two paths becomes unknown). Function bodies are analysed after the module body, as Python runs them.

Values (what an expression is known to be) are small frozen dataclasses; ``None`` means unknown.
Rules 1-6 of rules.md "Resolution" map onto :meth:`Resolver.resolve` (1-4, 6) and
:meth:`Resolver.state_of` (5, peer evidence per scope and reaching definition).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Protocol, Union

import libcst as cst

from . import model
from .config import Config
from .model import EnumClass, JobKind

# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """An imported module or object that is not itself known: ``google.cloud.aiplatform``."""

    path: str


@dataclass(frozen=True)
class EnumRef:
    """The enum class itself."""

    cls: EnumClass


@dataclass(frozen=True)
class BadMember:
    """``JobState.JOB_STATE_DONE``: an attribute of an enum class that is no member."""

    cls: EnumClass
    attr: str


@dataclass(frozen=True)
class StateVal:
    """A value of one of ``classes`` (several only for v1/v1beta1 twins); ``member`` when known exactly."""

    classes: frozenset[EnumClass]
    member: Optional[str] = None
    literal: bool = False  # spelled as a member reference (``E.X``) or a member alias

    @property
    def exact(self) -> Optional[EnumClass]:
        return next(iter(self.classes)) if len(self.classes) == 1 else None

    @property
    def any_cls(self) -> EnumClass:
        return sorted(self.classes, key=lambda c: c.key)[0]

    @property
    def proto(self) -> bool:
        return all(c.kind == model.PROTO for c in self.classes)


@dataclass(frozen=True)
class Rendered:
    """``str(state)``, ``f"{state}"``, ``"%s" % state``, ``"{}".format(state)`` of a proto state."""

    state: StateVal
    how: str


@dataclass(frozen=True)
class NameOf:
    """``state.name``."""

    state: StateVal


@dataclass(frozen=True)
class IntOf:
    """``int(state)`` / ``state.value``."""

    state: StateVal


@dataclass(frozen=True)
class ClassRef:
    """An SDK resource class or a proto message class (calling it makes an object)."""

    kind: JobKind


@dataclass(frozen=True)
class BoundMethod:
    """``SomeJobClass.get`` / ``client.get_custom_job`` / ``sft.train``: calling it returns ``result``."""

    result: JobKind
    many: bool = False


@dataclass(frozen=True)
class Obj:
    """An object whose ``kind.state_attr`` holds a state of ``kind.enum``."""

    kind: JobKind


@dataclass(frozen=True)
class ObjList:
    kind: JobKind


@dataclass(frozen=True)
class Client:
    """A GAPIC client of one API version."""

    version: str


@dataclass(frozen=True)
class GenaiClient:
    service: Optional[str] = None


@dataclass(frozen=True)
class Coll:
    """A tuple/list/set of states: ``items`` are (class, member); ``node`` is its literal when known."""

    items: tuple[tuple[EnumClass, str], ...]
    node: Optional[cst.CSTNode] = None
    name: Optional[str] = None  # the name it is bound to, when it came from a named constant

    @property
    def classes(self) -> frozenset[EnumClass]:
        return frozenset(c for c, _ in self.items)


@dataclass(frozen=True)
class DictLit:
    node: cst.Dict


@dataclass(frozen=True)
class Func:
    """A function or method of the project; ``returns`` is what its return annotation makes of the result.

    ``key`` (the id of its ``def``) and ``owner`` (the resolver of its module) let callers ask for its summary
    (what its ``return`` statements yield) when it has no annotation; ``prop``: a property (read, not called).
    """

    returns: "Value" = None
    key: int = 0
    owner: Optional["Resolver"] = field(default=None, compare=False, hash=False, repr=False)
    prop: bool = False
    annotated: bool = False  # a return annotation, understood or not, is what the caller gets

    def result(self) -> "Value":
        """What calling it (reading it, for a property) yields: the annotation, else the summary."""
        if self.returns is not None or self.annotated:
            return self.returns
        return self.owner.summary(self.key) if self.owner is not None else None


@dataclass(frozen=True)
class SelfRef:
    """``self``/``cls`` inside a method of a class of the project, or an instance of such a class (a call of
    the class, a parameter annotated with it); ``owner`` is the resolver of the class's module (None: this one)."""

    class_name: str
    tag: int
    owner: Optional["LazyModule"] = field(default=None, compare=False, hash=False, repr=False)


class LazyModule:
    """The resolver of another module of the project, parsed only when a question needs it."""

    __slots__ = ("_load", "_resolver", "_loaded")

    def __init__(self, load: Callable[[], Optional["Resolver"]]) -> None:
        self._load = load
        self._resolver: Optional[Resolver] = None
        self._loaded = False

    def get(self) -> Optional["Resolver"]:
        if not self._loaded:
            self._loaded = True
            self._resolver = self._load()
        return self._resolver


@dataclass(frozen=True)
class UserClass:
    """A class defined in another module of the project (found through the project hook)."""

    class_name: str
    module: LazyModule = field(compare=False, hash=False, repr=False)
    path: str = ""


@dataclass(frozen=True)
class Foreign:
    """An object visibly not from a Vertex SDK: a mock, a ``SimpleNamespace``. Its methods are never taken for
    GAPIC getters because of their names (``mock.Mock().get_custom_job(...)`` returns whatever the test set)."""


FOREIGN = Foreign()

# calls that make a Foreign object
_FOREIGN_FACTORIES = frozenset(
    f"{mod}.{name}"
    for mod in ("unittest.mock", "mock")
    for name in ("Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock", "create_autospec")
) | {"types.SimpleNamespace", "argparse.Namespace"}


@dataclass(frozen=True)
class Opaque:
    """A binding we know nothing about, but whose identity matters for peer evidence."""

    tag: int


@dataclass(frozen=True)
class Chain:
    """``root.a.b`` where root is an Opaque binding: the key of peer evidence."""

    tag: int
    attrs: tuple[str, ...]


@dataclass(frozen=True)
class _Conflict:
    """A name bound differently on two paths: unknown, and it hides outer bindings."""


CONFLICT = _Conflict()

Value = Union[
    Path, EnumRef, BadMember, StateVal, Rendered, NameOf, IntOf, ClassRef, BoundMethod, Obj, ObjList, Client,
    GenaiClient, Coll, DictLit, Func, SelfRef, UserClass, Opaque, Foreign, Chain, _Conflict, None,
]

# what a summary (a function's result, a ``self.<attr>``, a project module's name) may carry across: values
# whose meaning does not depend on where they are read
SUMMARY_VALUES = (StateVal, Obj, ObjList, Client, GenaiClient)
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property"})
# decorators that keep what a function returns (anything else may wrap it: its result is unknown)
_TRANSPARENT_DECORATORS = _PROPERTY_DECORATORS | frozenset(
    {"staticmethod", "classmethod", "abstractmethod", "abc.abstractmethod", "functools.cache", "cache",
     "functools.lru_cache", "lru_cache", "override", "typing.override"}
)


class ProjectHook(Protocol):
    """What the resolver asks about names imported from the user's own source tree (see ``project.py``)."""

    def lookup(self, path: str) -> "Value":
        """The value of ``path`` (``.mod.Name``, ``pkg.mod.Name``) in the project, or None."""


# ---------------------------------------------------------------------------------------------------------------
# Scopes
# ---------------------------------------------------------------------------------------------------------------


class Scope:
    __slots__ = ("parent", "kind", "env", "node", "class_name", "returns")

    def __init__(self, parent: Optional["Scope"], kind: str, node: cst.CSTNode, class_name: str = "") -> None:
        self.parent = parent
        self.kind = kind  # "module" | "function" | "class" | "comp"
        self.env: dict[str, Value] = {}
        self.node = node
        self.class_name = class_name
        self.returns: Optional[EnumClass] = None

    def lookup(self, name: str) -> Value:
        scope: Optional[Scope] = self
        first = True
        while scope is not None:
            if (first or scope.kind != "class") and name in scope.env:
                v = scope.env[name]
                return None if v is CONFLICT else v
            first = False
            scope = scope.parent
        return None

    def function(self) -> Optional["Scope"]:
        scope: Optional[Scope] = self
        while scope is not None and scope.kind == "comp":
            scope = scope.parent
        return scope

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


def _merge(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    out = dict(a)
    for k, v in b.items():
        if k not in out:
            out[k] = v if v is not None else CONFLICT
        elif out[k] != v:
            out[k] = CONFLICT
    for k in a:
        if k not in b:
            # bound on one path only: outer value on the other path is unknown to us here
            out[k] = CONFLICT if a[k] is not None else a[k]
    return out


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for Name/Attribute chains."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: Union[cst.Attribute, cst.Name]) -> str:
    return dotted(node) or ""


def int_literal(node: cst.BaseExpression) -> Optional[int]:
    """The value of ``4``/``-1``/``(4)``, else None."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = int_literal(node.expression)
        return -v if v is not None else None
    return None


def str_literal(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        prefix = node.prefix.lower()
        if "b" in prefix:
            return None
        try:
            v = node.evaluated_value
        except Exception:  # noqa: BLE001 - odd escapes: treat as unknown
            return None
        return v if isinstance(v, str) else None
    if isinstance(node, cst.ConcatenatedString):
        try:
            cv = node.evaluated_value
        except Exception:  # noqa: BLE001
            return None
        return cv if isinstance(cv, str) else None
    return None


def container_elements(node: cst.BaseExpression) -> Optional[list[cst.BaseExpression]]:
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        out = []
        for el in node.elements:
            if isinstance(el, (cst.StarredElement,)):
                return None
            out.append(el.value)
        return out
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("frozenset", "set", "tuple", "list"):
        if len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star:
            return container_elements(node.args[0].value)
    return None


# ---------------------------------------------------------------------------------------------------------------
# The resolver: one walk collects sites for the rules and records bindings
# ---------------------------------------------------------------------------------------------------------------

_COLLECTED = (
    cst.Comparison,
    cst.Call,
    cst.Subscript,
    cst.Attribute,
    cst.Assign,
    cst.Return,
    cst.Match,
    cst.While,
    cst.For,
    cst.FunctionDef,
    cst.Dict,
    cst.Tuple,
    cst.List,
    cst.Set,
    cst.Import,
    cst.ImportFrom,
)


class Resolver:
    """Walks a module once; afterwards answers ``resolve(expr)`` / ``state_of(expr)`` for any node in it."""

    def __init__(self, module: cst.Module, config: Config, project: Optional[ProjectHook] = None,
                 poisoned: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.config = config
        self.project = project
        # (class, attr) read before every method that assigns it was analysed, in an earlier run: unknown
        self._poisoned = poisoned
        self._attr_reads: list[tuple[str, str, Value]] = []
        self._fns: dict[int, tuple[cst.FunctionDef, Scope]] = {}
        self._returns: dict[int, list[Value]] = {}
        self._summaries: dict[int, Value] = {}
        self._busy: set[int] = set()
        self._generators: set[int] = set()
        self.class_tags: dict[int, str] = {}  # id(ClassDef) -> name, for local classes (bound as Opaque)
        self.class_bases: dict[str, list[cst.BaseExpression]] = {}
        self.module_node = module
        self.module_scope = Scope(None, "module", module)
        self.scope = self.module_scope
        self._names: dict[int, Value] = {}  # id(Name node) -> value reaching it
        self._memo: dict[int, Value] = {}
        self._scope_of: dict[int, Scope] = {}  # id(collected node) -> scope
        self.sites: dict[type, list[cst.CSTNode]] = {t: [] for t in _COLLECTED}
        self.parents: dict[int, cst.CSTNode] = {}
        self._deferred: list[tuple[cst.FunctionDef, Scope]] = []
        self._evidence: dict[tuple[int, tuple[str, ...]], set[EnumClass]] = {}
        self._evidence_ready = False
        self.functions: list[cst.FunctionDef] = []
        self.class_attrs: dict[str, dict[str, Value]] = {}
        self._param_default_owner: dict[int, cst.FunctionDef] = {}
        self.param_annotations: dict[int, Value] = {}  # id(Param) -> resolved annotation value
        self.parents_call: dict[int, cst.Call] = {}  # id(int literal) -> the ``E(int)`` call around it (fixes)

    # -- driving -------------------------------------------------------------------------------------------------

    def run(self) -> "Resolver":
        self.walk(self.module_node)
        # ``__init__`` first: the attributes it stores are what the other methods read
        self._deferred.sort(key=lambda d: d[0].name.value != "__init__")
        while self._deferred:
            node, scope = self._deferred.pop(0)
            if id(node) not in self._returns:
                self._analyse_function(node, scope)
        premature = frozenset((c, a) for c, a, v in self._attr_reads
                              if self._own_attr(c, a) != v) - self._poisoned
        if premature:
            # a method read ``self.<attr>`` before another method stored something else in it: run again with
            # those attributes unknown (rare; the answer must not depend on the order of the methods)
            return Resolver(self.module_node, self.config, self.project, self._poisoned | premature).run()
        self._build_evidence()
        return self

    # -- summaries: what a function returns, what a class stores ----------------------------------------------

    def summary(self, key: int) -> Value:
        """What the function ``def`` with id ``key`` returns, when every ``return`` agrees (else None).

        A function not analysed yet is analysed now (its module scope is as complete as at the call); a
        recursive call (directly or through a cycle) is unknown.
        """
        if key in self._summaries:
            return self._summaries[key]
        if key in self._busy or key not in self._fns:
            return None
        if key not in self._returns:
            node, scope = self._fns[key]
            self._busy.add(key)
            try:
                self._analyse_function(node, scope)
            finally:
                self._busy.discard(key)
        node = self._fns[key][0]
        out: Value = None
        if key not in self._generators and all(_transparent(d.decorator) for d in node.decorators):
            values = self._returns.get(key, [])
            for v in values:
                if not isinstance(v, SUMMARY_VALUES) or (out is not None and not _same_kind(out, v)):
                    out = None
                    break
                out = _generalise(v) if out is None else _join_summary(out, v)
        self._summaries[key] = out
        return out

    def _own_attr(self, class_name: str, attr: str) -> Value:
        v = self.class_attrs.get(class_name, {}).get(attr)
        return None if v is CONFLICT else v

    def class_member(self, class_name: str, attr: str, seen: Optional[set[tuple[int, str]]] = None) -> Value:
        """``attr`` of instances of the class ``class_name`` of this module: stored in ``self.<attr>``, a method
        or a class attribute, through the class's bases in this module and in the project."""
        attrs = self.class_attrs.get(class_name)
        if attrs is None:
            return None
        if attr in attrs:
            return None if (class_name, attr) in self._poisoned else attrs[attr]
        seen = seen if seen is not None else set()
        seen.add((id(self), class_name))
        for base in self.class_bases.get(class_name, []):
            module, name = self._class_of(self.resolve(base))
            owner = module.get() if isinstance(module, LazyModule) else module
            if owner is None or name is None or (id(owner), name) in seen:
                continue
            v = owner.class_member(name, attr, seen)
            if v is not None:
                return v
        return None

    def _class_of(self, v: Value) -> tuple[Union["Resolver", LazyModule, None], Optional[str]]:
        """The (resolver or lazily parsed module, class name) a value names, when it is a class of the project."""
        if isinstance(v, Chain) and not v.attrs and v.tag in self.class_tags:
            return self, self.class_tags[v.tag]
        if isinstance(v, UserClass):
            return v.module, v.class_name
        if isinstance(v, Path) and self.project is not None:
            found = self.project.lookup(v.path)
            if isinstance(found, UserClass):
                return found.module, found.class_name
        return None, None

    def scope_for(self, node: cst.CSTNode) -> Scope:
        return self._scope_of.get(id(node), self.module_scope)

    # -- generic collection ----------------------------------------------------------------------------------------

    def walk(self, node: cst.CSTNode) -> None:
        """Visit ``node`` and its children in execution order (no node is rebuilt, unlike CSTVisitor)."""
        t = type(node)
        sites = self.sites.get(t)
        if sites is not None:
            sites.append(node)
            self._scope_of[id(node)] = self.scope
        handlers = _HANDLERS.get(t)
        if handlers is None:
            handlers = _HANDLERS[t] = (getattr(Resolver, "visit_" + t.__name__, None),
                                       getattr(Resolver, "leave_" + t.__name__, None), _child_fields(t))
        visit, leave, fields = handlers
        if visit is not None and visit(self, node) is False:
            return
        for name in fields:
            child = getattr(node, name)
            if isinstance(child, cst.CSTNode):
                self.walk(child)
            elif type(child) is tuple or type(child) is list:
                for c in child:
                    if isinstance(c, cst.CSTNode):
                        self.walk(c)
        if leave is not None:
            leave(self, node)

    def visit_Name(self, node: cst.Name) -> None:
        self._names[id(node)] = self.scope.lookup(node.value)

    def leave_Return(self, node: cst.Return) -> None:
        fscope = self.scope.function()
        if fscope is None or fscope.kind != "function" or not isinstance(fscope.node, cst.FunctionDef):
            return
        returns = self._returns.get(id(fscope.node))
        if returns is None:
            return
        if node.value is None or (isinstance(node.value, cst.Name) and node.value.value == "None"):
            return  # ``return`` / ``return None``: an Optional result, as ``Optional[X]`` annotations are read
        returns.append(self.resolve(node.value))

    def _mark_generator(self, node: cst.CSTNode) -> None:
        fscope = self.scope.function()
        if fscope is not None and isinstance(fscope.node, cst.FunctionDef):
            self._generators.add(id(fscope.node))

    def visit_Yield(self, node: cst.Yield) -> None:
        self._mark_generator(node)

    # -- imports -------------------------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, self._path_value(full))
            else:
                top = full.split(".")[0]
                self._bind(top, Path(top))
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative:
            base = "." * len(node.relative) + (_module_name(node.module) if node.module else "")
        else:
            base = _module_name(node.module) if node.module else ""
        if isinstance(node.names, cst.ImportStar):
            return False
        for alias in node.names:
            name = _module_name(alias.name)
            bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self._bind(bound, self._path_value(f"{base}.{name}" if base and not base.endswith(".") else base + name))
        return False

    def _path_value(self, path: str) -> Value:
        cls = model.class_for_path(path, self.config.extra_modules)
        if cls is not None:
            return EnumRef(cls)
        kind = model.object_kind_for_path(path)
        if kind is not None:
            return ClassRef(kind)
        if path in model.CLIENT_CLASSES:
            return Path(path)
        if path in model.SDK_SETS:
            return Coll(model.SDK_SETS[path], name=path.rsplit(".", 1)[-1])
        if path in model.SDK_FACTORIES:
            return BoundMethod(model.SDK_FACTORIES[path])
        return Path(path)

    # -- binding -------------------------------------------------------------------------------------------------

    def _bind(self, name: str, value: Value) -> None:
        self.scope.env[name] = value

    def _bind_target(self, target: cst.BaseExpression, value: Value, tag_node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                value = Opaque(id(tag_node))
            self._bind(target.value, value)
            if self.scope.kind == "class":
                self.class_attrs.setdefault(self.scope.class_name, {})[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._bind_target(el.value, None, el)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            base = self._names.get(id(target.value))
            if isinstance(base, SelfRef) and base.owner is None:
                # ``self.X = ...`` in a method: known only if every store agrees (an unknown store makes it unknown)
                attrs = self.class_attrs.setdefault(base.class_name, {})
                stored = value if value is not None else CONFLICT
                if target.attr.value not in attrs:
                    attrs[target.attr.value] = stored
                elif attrs[target.attr.value] != stored:
                    attrs[target.attr.value] = CONFLICT

    def leave_Assign(self, node: cst.Assign) -> None:
        value = self.resolve(node.value)
        for t in node.targets:
            self._bind_target(t.target, value, node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        ann = self.annotation(node.annotation.annotation)
        value = _instance_of(ann)
        if value is None and node.value is not None:
            value = self.resolve(node.value)
        self._bind_target(node.target, value, node)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, None, node)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, self.resolve(node.value), node)

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        self.walk(node.item)
        if node.asname is not None:
            self._bind_target(node.asname.name, None, node)
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self._bind(node.name.name.value, Opaque(id(node)))

    # -- control flow: branches merge conservatively ---------------------------------------------------------

    def _visit_block(self, node: Optional[cst.CSTNode]) -> dict[str, Value]:
        if node is not None:
            self.walk(node)
        return self.scope.env

    def visit_If(self, node: cst.If) -> bool:
        self.on_visit_extra(node)
        self.walk(node.test)
        before = dict(self.scope.env)
        self.walk(node.body)
        after_body = self.scope.env
        self.scope.env = dict(before)
        if node.orelse is not None:
            self.walk(node.orelse)
        self.scope.env = _merge(after_body, self.scope.env)
        return False

    def on_visit_extra(self, node: cst.CSTNode) -> None:
        self._scope_of[id(node)] = self.scope

    def visit_For(self, node: cst.For) -> bool:
        self.walk(node.iter)
        it = self.resolve(node.iter)
        before = dict(self.scope.env)
        elem: Value = None
        if isinstance(it, ObjList):
            elem = Obj(it.kind)
        elif isinstance(it, Coll) and it.items:
            classes = it.classes
            if len({c.family for c in classes}) == 1 and len({c.kind for c in classes}) == 1:
                elem = StateVal(frozenset(classes))
        self._bind_target(node.target, elem, node)
        self.walk(node.target)
        self.walk(node.body)
        if node.orelse is not None:
            self.walk(node.orelse)
        self.scope.env = _merge(before, self.scope.env)
        return False

    def visit_While(self, node: cst.While) -> bool:
        before = dict(self.scope.env)
        self.walk(node.test)
        self.walk(node.body)
        if node.orelse is not None:
            self.walk(node.orelse)
        self.scope.env = _merge(before, self.scope.env)
        return False

    def visit_Try(self, node: cst.Try) -> bool:
        before = dict(self.scope.env)
        self.walk(node.body)
        merged = _merge(before, self.scope.env)
        outs = [self.scope.env]
        for h in node.handlers:
            self.scope.env = dict(merged)
            self.walk(h)
            outs.append(self.scope.env)
        if node.orelse is not None:
            self.scope.env = dict(outs[0])
            self.walk(node.orelse)
            outs[0] = self.scope.env
        env = outs[0]
        for o in outs[1:]:
            env = _merge(env, o)
        self.scope.env = env
        if node.finalbody is not None:
            self.walk(node.finalbody)
        return False

    def visit_Match(self, node: cst.Match) -> bool:
        self.walk(node.subject)
        before = dict(self.scope.env)
        env: Optional[dict[str, Value]] = None
        for case in node.cases:
            self.scope.env = dict(before)
            self.walk(case)
            env = self.scope.env if env is None else _merge(env, self.scope.env)
        self.scope.env = _merge(before, env) if env is not None else before
        return False

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name.value, Opaque(id(node)))

    # -- comprehension and lambda scopes ---------------------------------------------------------------------

    def _push(self, kind: str, node: cst.CSTNode, class_name: str = "") -> Scope:
        self.scope = Scope(self.scope, kind, node, class_name)
        return self.scope

    def _pop(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def _visit_comp(self, node: Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]) -> bool:
        self._push("comp", node)
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            self.walk(comp.iter)
            it = self.resolve(comp.iter)
            elem: Value = Obj(it.kind) if isinstance(it, ObjList) else None
            self._bind_target(comp.target, elem, comp)
            for cond in comp.ifs:
                self.walk(cond)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.walk(node.key)
            self.walk(node.value)
        else:
            self.walk(node.elt)
        self._pop()
        return False

    visit_ListComp = _visit_comp
    visit_SetComp = _visit_comp
    visit_GeneratorExp = _visit_comp
    visit_DictComp = _visit_comp

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._push("function", node)
        for p in _all_params(node.params):
            self._bind(p.name.value, Opaque(id(p)))
        self.walk(node.body)
        self._pop()
        return False

    # -- classes and functions -------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for d in node.decorators:
            self.walk(d)
        for a in node.bases:
            self.walk(a)
        self._push("class", node, node.name.value)
        self.class_attrs.setdefault(node.name.value, {})
        self.class_bases[node.name.value] = [a.value for a in node.bases if a.keyword is None]
        self.walk(node.body)
        self._pop()
        self._bind(node.name.value, Opaque(id(node)))
        self.class_tags[id(node)] = node.name.value
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.functions.append(node)
        for d in node.decorators:
            self.walk(d)
        # defaults and annotations are evaluated where the function is defined
        for p in _all_params(node.params):
            if p.default is not None:
                self.walk(p.default)
            if p.annotation is not None:
                self.walk(p.annotation.annotation)
                self.param_annotations[id(p)] = self.annotation(p.annotation.annotation)
        returns: Value = None
        if node.returns is not None:
            self.walk(node.returns.annotation)
            returns = _instance_of(self.annotation(node.returns.annotation))
        prop = any((dotted(d.decorator) or "") in _PROPERTY_DECORATORS for d in node.decorators)
        func = Func(returns, id(node), self, prop, node.returns is not None)
        self._bind(node.name.value, func)
        if self.scope.kind == "class":
            attrs = self.class_attrs.setdefault(self.scope.class_name, {})
            attrs[node.name.value] = func if node.name.value not in attrs else CONFLICT
        self._fns[id(node)] = (node, self.scope)
        self._deferred.append((node, self.scope))
        return False

    def _analyse_function(self, node: cst.FunctionDef, parent: Scope) -> None:
        self._returns[id(node)] = []
        saved = self.scope
        self.scope = Scope(parent, "function", node)
        fscope = self.scope
        rv = self.annotation(node.returns.annotation) if node.returns is not None else None
        if isinstance(rv, EnumRef):
            fscope.returns = rv.cls
        params = _all_params(node.params)
        in_class = parent.kind == "class"
        is_static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators)
        for i, p in enumerate(params):
            ann = self.param_annotations.get(id(p))
            value = _instance_of(ann)
            if value is None and ann is not None and p is not node.params.star_arg and p is not node.params.star_kwarg:
                value = self._project_instance(ann, id(p))
            if value is None and i == 0 and in_class and not is_static and any(p is q for q in node.params.params):
                value = SelfRef(parent.class_name, id(p))
            self._bind(p.name.value, value if value is not None else Opaque(id(p)))
        self.walk(node.body)
        self.scope = saved

    # -- expression resolution -------------------------------------------------------------------------------

    def annotation(self, node: cst.BaseExpression) -> Value:
        """What an annotation names: ``X``, ``Optional[X]``, ``Union[X, None]``, ``X | None``."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            sides = [s for s in (node.left, node.right) if not (isinstance(s, cst.Name) and s.value == "None")]
            return self.annotation(sides[0]) if len(sides) == 1 else None
        if isinstance(node, cst.Subscript):
            base = dotted(node.value) or ""
            if base.rsplit(".", 1)[-1] in ("Optional", "Union"):
                args = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
                args = [a for a in args if not (isinstance(a, cst.Name) and a.value == "None")]
                return self.annotation(args[0]) if len(args) == 1 else None
            return None
        return self.resolve(node)

    def resolve(self, node: cst.CSTNode) -> Value:
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        v = self._resolve(node)
        self._memo[key] = v
        return v

    def _resolve(self, node: cst.CSTNode) -> Value:  # noqa: C901 - one dispatch table
        if isinstance(node, cst.Name):
            v = self._names.get(id(node))
            if v is None and id(node) not in self._names:
                v = self.module_scope.lookup(node.value)
            if isinstance(v, Opaque):
                return Chain(v.tag, ())
            return v
        if isinstance(node, cst.Attribute):
            return self._attribute(node)
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Await):
            return self.resolve(node.expression)
        if isinstance(node, cst.Subscript):
            base = self.resolve(node.value)
            if isinstance(base, EnumRef) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                s = str_literal(node.slice[0].slice.value)
                if s is not None and s in base.cls.members:
                    return StateVal(frozenset({base.cls}), s, literal=True)
            if isinstance(base, ObjList):
                return Obj(base.kind)
            return None
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)) or (
            isinstance(node, cst.Call) and container_elements(node) is not None
        ):
            elements = container_elements(node)  # type: ignore[arg-type]
            if not elements:
                return None
            items = []
            for el in elements:
                v = self.resolve(el)
                if isinstance(v, StateVal) and v.member is not None and v.exact is not None:
                    items.append((v.exact, v.member))
                elif isinstance(v, Coll):
                    items.extend(v.items)
                else:
                    return None
            return Coll(tuple(items), node)
        if isinstance(node, cst.Dict):
            return DictLit(node)
        if isinstance(node, cst.FormattedString):
            exprs = [p for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
            texts = [p for p in node.parts if isinstance(p, cst.FormattedStringText) and p.value]
            if len(exprs) == 1 and not texts and exprs[0].conversion is None and exprs[0].format_spec is None:
                v = self.state_of(exprs[0].expression)
                if isinstance(v, StateVal) and v.proto:
                    return Rendered(v, "f-string")
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            fmt = str_literal(node.left)
            if fmt == "%s" and not isinstance(node.right, cst.Tuple):
                v = self.state_of(node.right)
                if isinstance(v, StateVal) and v.proto:
                    return Rendered(v, '"%s" %')
            return None
        if isinstance(node, cst.NamedExpr):
            return self.resolve(node.value)
        if isinstance(node, cst.IfExp):
            a, b = self.resolve(node.body), self.resolve(node.orelse)
            if a == b:
                return a
            # ``state.value if ... else int(state)``: both the int of the same state
            if isinstance(a, (IntOf, StateVal)) and isinstance(b, (IntOf, StateVal)):
                sa = a.state if isinstance(a, IntOf) else a
                sb = b.state if isinstance(b, IntOf) else b
                if type(a) is type(b) and sa.classes == sb.classes:
                    return IntOf(StateVal(sa.classes)) if isinstance(a, IntOf) else StateVal(sa.classes)
            return None
        return None

    def _attribute(self, node: cst.Attribute) -> Value:
        attr = node.attr.value
        if attr in self.config.state_attributes:
            base = self.resolve(node.value)
            if not isinstance(base, (Path, EnumRef)):
                return StateVal(frozenset({model.BY_KEY[self.config.state_attributes[attr]]}))
        base = self.resolve(node.value)
        if base is None or isinstance(base, (Chain, Opaque)):  # a receiver we cannot see (never a Foreign one)
            kind = model.getter_by_name(attr)
            if kind is not None:
                return BoundMethod(kind)
        if base is None:
            return None
        if isinstance(base, Path):
            return self._path_value(f"{base.path}.{attr}")
        if isinstance(base, EnumRef):
            if attr in base.cls.members:
                return StateVal(frozenset({base.cls}), attr, literal=True)
            if attr.isupper() and not attr.startswith("_"):
                return BadMember(base.cls, attr)
            return None
        if isinstance(base, Obj):
            if attr == base.kind.state_attr:
                return StateVal(base.kind.enums)
            if attr in ("_gca_resource", "gca_resource") and not base.kind.is_message:
                return Obj(base.kind)
            return None
        if isinstance(base, StateVal):
            if attr == "name":
                return NameOf(base)
            if attr == "value" and base.proto:
                return IntOf(base)
            return None
        if isinstance(base, ClassRef):
            if attr in model.SDK_INSTANCE_METHODS and not base.kind.is_message:
                return BoundMethod(base.kind)
            if attr in model.SDK_LIST_METHODS and not base.kind.is_message:
                return BoundMethod(base.kind, many=True)
            return None
        if isinstance(base, Client):
            result = model.client_method_result(base.version, attr)
            return BoundMethod(result) if result is not None else None
        if isinstance(base, GenaiClient):
            if base.service is None and attr == "aio":
                return base
            if base.service is None and attr in model.GENAI_JOB_SERVICES:
                return GenaiClient(attr)
            if base.service is not None and attr in model.GENAI_JOB_METHODS:
                return BoundMethod(model.GENAI_KIND)
            return None
        if isinstance(base, SelfRef):
            owner = base.owner.get() if base.owner is not None else self
            if owner is None:
                return None
            v = owner.class_member(base.class_name, attr)
            if base.owner is None and attr in self.class_attrs.get(base.class_name, {}):
                self._attr_reads.append((base.class_name, attr, self._own_attr(base.class_name, attr)))
            if isinstance(v, Func) and v.prop:
                r = v.result()
                if isinstance(r, SUMMARY_VALUES):
                    return r
            if v is not None and v is not CONFLICT and isinstance(v, (Coll, StateVal, EnumRef, Obj, ObjList, Client,
                                                                         GenaiClient, Func, DictLit)):
                if base.owner is not None and not isinstance(v, SUMMARY_VALUES + (Func, Coll)):
                    return None
                return v
            return Chain(base.tag, (attr,)) if base.owner is None else None
        if isinstance(base, Chain):
            return Chain(base.tag, base.attrs + (attr,))
        if isinstance(base, Opaque):
            return Chain(base.tag, (attr,))
        return None

    def _call(self, node: cst.Call) -> Value:
        func = self.resolve(node.func)
        if isinstance(func, Path):
            if func.path in model.CLIENT_CLASSES:
                return Client(model.CLIENT_CLASSES[func.path])
            if func.path in model.GENAI_CLIENTS:
                return GenaiClient()
            if func.path in _FOREIGN_FACTORIES:
                return FOREIGN
            if self.project is None:
                return None
            found = self.project.lookup(func.path)
            if isinstance(found, Func):
                return _summary_only(found.result())
            return self._project_instance(found, id(node))
        if isinstance(func, (Chain, UserClass)):
            return self._project_instance(func, id(node))
        if isinstance(func, EnumRef):
            if len(node.args) == 1 and not node.args[0].keyword and not node.args[0].star:
                i = int_literal(node.args[0].value)
                if i is not None:
                    m = func.cls.member_for_int(i)
                    return StateVal(frozenset({func.cls}), m, literal=True) if m else None
                arg = self.state_of(node.args[0].value)
                if isinstance(arg, StateVal) and func.cls in arg.classes:
                    return arg
                return StateVal(frozenset({func.cls})) if func.cls.kind == model.PROTO else None
            return None
        if isinstance(func, ClassRef):
            return Obj(func.kind)
        if isinstance(func, BoundMethod):
            return ObjList(func.result) if func.many else Obj(func.result)
        if isinstance(func, Func):
            return _summary_only(func.result()) if func.returns is None else func.returns
        if isinstance(node.func, cst.Name) and func is None and self._is_builtin(node.func):
            name = node.func.value
            if name in ("int", "str") and len(node.args) == 1 and not node.args[0].keyword:
                arg = self.state_of(node.args[0].value)
                if isinstance(arg, StateVal) and arg.proto:
                    return IntOf(arg) if name == "int" else Rendered(arg, f"{name}()")
            if name in ("frozenset", "set", "tuple", "list") and container_elements(node) is not None:
                return self.resolve(node.args[0].value)
            return None
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            fmt = str_literal(node.func.value)
            if fmt in ("{}", "{0}", "{!s}") and len(node.args) == 1 and not node.args[0].keyword:
                arg = self.state_of(node.args[0].value)
                if isinstance(arg, StateVal) and arg.proto:
                    return Rendered(arg, '"{}".format()')
        return None

    def _project_instance(self, cls: Value, tag: int) -> Value:
        """An instance of a class of the project (a call of it, a parameter annotated with it)."""
        module, name = self._class_of(cls)
        if module is None or name is None:
            return None
        if isinstance(module, Resolver):
            module = None if module is self else LazyModule(lambda r=module: r)
        return SelfRef(name, tag, module)

    def _is_builtin(self, name: cst.Name) -> bool:
        return id(name) in self._names and self._names[id(name)] is None and self.module_scope.lookup(name.value) is None

    # -- peer evidence (resolution rule 5) ---------------------------------------------------------------------

    def _build_evidence(self) -> None:
        for comp in self.sites[cst.Comparison]:
            assert isinstance(comp, cst.Comparison)
            left = comp.left
            for target in comp.comparisons:
                right = target.comparator
                for a, b in ((left, right), (right, left)):
                    ka = self.resolve(a)
                    if not isinstance(ka, Chain):
                        continue
                    kb = self.resolve(b)
                    classes: frozenset[EnumClass] = frozenset()
                    if isinstance(kb, StateVal) and kb.literal:
                        classes = kb.classes
                    elif isinstance(kb, Coll) and isinstance(target.operator, (cst.In, cst.NotIn)) and a is left:
                        classes = kb.classes
                    if classes:
                        key = (ka.tag, ka.attrs)
                        # each comparison says "one of these classes"; together they must agree
                        self._evidence[key] = self._evidence[key] & set(classes) if key in self._evidence else set(classes)
                left = right
        self._evidence_ready = True

    def has_evidence(self, tag: int, attrs: tuple[str, ...]) -> bool:
        """Whether any comparison in scope gave peer evidence for the chain ``tag.attrs`` (even conflicting)."""
        return (tag, attrs) in self._evidence

    def state_of(self, node: cst.CSTNode) -> Value:
        """``resolve`` plus peer evidence: an unknown chain compared with members of exactly one class."""
        v = self.resolve(node)
        if isinstance(v, Chain) and self._evidence_ready:
            classes = self._evidence.get((v.tag, v.attrs))
            if classes and model.one_class(classes):  # empty intersection: conflicting evidence, unknown
                return StateVal(frozenset(classes))
            return None
        return v

    # -- spelling for fixes -----------------------------------------------------------------------------------

    def spelling(self, cls: EnumClass, at: cst.CSTNode, within: Optional[cst.CSTNode] = None) -> Optional[str]:
        """An expression that reaches ``cls`` through an existing import visible at ``at`` (with ``within``, a
        function: only through bindings of that function and the scopes inside it)."""
        best: Optional[str] = None
        scope: Optional[Scope] = self.scope_for(at)
        first = True
        seen: set[str] = set()
        while scope is not None:
            if first or scope.kind != "class":
                for name, v in scope.env.items():
                    if name in seen:
                        continue
                    seen.add(name)
                    cand = None
                    if isinstance(v, EnumRef) and v.cls is cls:
                        cand = name
                    elif isinstance(v, Path):
                        for suffix in (cls.name, f"types.{cls.name}", f"gapic.{cls.name}"):
                            if model.class_for_path(f"{v.path}.{suffix}", self.config.extra_modules) is cls:
                                cand = f"{name}.{suffix}"
                                break
                    # the import closest to the class wins (``gca_job_state.JobState`` over
                    # ``aiplatform.gapic.JobState``), then the shorter spelling
                    if cand is not None and (best is None or (cand.count("."), len(cand)) < (best.count("."), len(best))):
                        best = cand
            first = False
            if within is not None and scope.node is within:
                break
            scope = scope.parent
        return best

    def name_is_free(self, name: str) -> bool:
        return all(name not in s.env for s in self._all_scopes())

    def _all_scopes(self) -> Iterator[Scope]:
        yield self.module_scope


_SKIPPED_FIELDS = frozenset(
    {"lpar", "rpar", "comma", "semicolon", "colon", "equal", "dot", "star", "operator", "attr", "keyword", "header",
     "footer", "leading_lines", "lines_after_decorators", "newline", "trailing_whitespace", "asynchronous", "default_indent",
     "default_newline", "encoding", "has_trailing_newline", "whitespace", "whitespace_after_at", "first_line"}
)
_HANDLERS: dict[type, tuple] = {}


def _child_fields(t: type) -> tuple[str, ...]:
    """The fields of a node type that can hold code (whitespace, tokens and punctuation skipped)."""
    import dataclasses

    if not dataclasses.is_dataclass(t):
        return ()
    return tuple(
        f.name for f in dataclasses.fields(t) if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
    )


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that can hold code, in field order (much cheaper than libcst's ``node.children``)."""
    handlers = _HANDLERS.get(type(node))
    fields = handlers[2] if handlers is not None else _child_fields(type(node))
    for name in fields:
        child = getattr(node, name)
        if isinstance(child, cst.CSTNode):
            yield child
        elif type(child) is tuple or type(child) is list:
            for c in child:
                if isinstance(c, cst.CSTNode):
                    yield c


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    out = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg)
    return out


def _instance_of(ann: Value) -> Value:
    """The value of something annotated with ``ann``."""
    if isinstance(ann, EnumRef):
        return StateVal(frozenset({ann.cls}))
    if isinstance(ann, ClassRef):
        return Obj(ann.kind)
    if isinstance(ann, Path) and ann.path in model.CLIENT_CLASSES:
        return Client(model.CLIENT_CLASSES[ann.path])
    if isinstance(ann, Path) and ann.path in model.GENAI_CLIENTS:
        return GenaiClient()
    return None





def _transparent(decorator: cst.BaseExpression) -> bool:
    return (dotted(decorator) or "") in _TRANSPARENT_DECORATORS


def _summary_only(v: Value) -> Value:
    return v if isinstance(v, SUMMARY_VALUES) else None


def _generalise(v: Value) -> Value:
    """A returned member is a state of its class, not a member reference (no rule reads it as spelled)."""
    if isinstance(v, StateVal):
        return StateVal(v.classes)
    return v


def _same_kind(a: Value, b: Value) -> bool:
    if isinstance(a, StateVal) and isinstance(b, StateVal):
        return a.classes == b.classes
    return _generalise(a) == _generalise(b)


def _join_summary(a: Value, b: Value) -> Value:
    return _generalise(a)
