"""What the code knows about a state: conditions, guards, wait loops (the JS2xx rules' analysis).

Three layers, all conservative (anything not understood is "unknown", and unknown never reports):

* **Conditions.** ``Analysis.cond(expr)`` compiles a test into a small boolean tree whose leaves are
  :class:`Atom` (a test of one state expression against a set of members), ``OTHER`` (a test that does not
  involve a state: deadlines, counters, flags) and ``BROKEN`` (a state test that is always False/True: str vs
  proto enum, two enum classes, a name that is no member; the JS1xx rules report those, so JS2xx stay silent).
  ``evaluate(cond, state)`` is three-valued (True / False / None = depends on something else).
* **Known states** (JS201). :class:`KnownStates` walks a function body in order, narrowing what a state
  expression may be from ``if``/``elif``/``else`` guards, early ``return``/``raise``/``continue``/``break``,
  ``assert``, ``match`` cases (``case A | B:`` knows A or B), and earlier assignments to the same attribute in the
  same block; calls that receive the object and rebinding forget what was known; assignments to other attributes
  of the object (``job.end_time = None``) do not.
* **Wait loops** (JS202/JS203). :meth:`Analysis.loops` compiles every ``while`` loop and ``for`` over
  ``range``/``count`` into a control tree of guards and exits and runs it once per member of the enum: on which
  states can the loop stop (any exit, timeouts included), on which must it stop, and does it keep waiting while
  RUNNING. Boundedness follows rules.md: a non-state conjunct in the condition or a non-state exit outside
  ``except`` handlers makes every state a possible stop, so no JS202.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Union

import libcst as cst

from . import model
from .model import EnumClass
from .project import Consts
from .resolver import iter_children as children
from .resolver import Chain, Coll, DictLit, Func, IntOf, NameOf, Path, Rendered, SelfRef, StateVal, dotted

if TYPE_CHECKING:
    from .context import Context

# ---------------------------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """``<state expression> in members``; ``members is None`` when the test cannot be evaluated."""

    key: Optional[str]  # normalised spelling of the state expression (None: not a plain name/attribute)
    classes: frozenset[EnumClass]
    members: Optional[frozenset[str]]


@dataclass(frozen=True)
class And:
    parts: tuple["Cond", ...]


@dataclass(frozen=True)
class Or:
    parts: tuple["Cond", ...]


@dataclass(frozen=True)
class Not:
    part: "Cond"


class _Leaf:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OTHER = _Leaf("OTHER")  # does not test a state
BROKEN = _Leaf("BROKEN")  # a state test that is always False/True (a JS1xx finding)
TRUE = _Leaf("TRUE")
FALSE = _Leaf("FALSE")

Cond = Union[Atom, And, Or, Not, _Leaf]
ANY = "<any>"  # evaluate every atom against the same state (one polled job per loop)


def evaluate(c: Cond, state: str, key: Optional[str] = ANY) -> Optional[bool]:
    """Kleene logic: True, False, or None when the value depends on something other than ``key``'s state."""
    if isinstance(c, Atom):
        if c.members is None or (key is not ANY and c.key != key):
            return None
        return state in c.members
    if isinstance(c, And):
        out: Optional[bool] = True
        for p in c.parts:
            v = evaluate(p, state, key)
            if v is False:
                return False
            if v is None:
                out = None
        return out
    if isinstance(c, Or):
        out = False
        for p in c.parts:
            v = evaluate(p, state, key)
            if v is True:
                return True
            if v is None:
                out = None
        return out
    if isinstance(c, Not):
        v = evaluate(c.part, state, key)
        return None if v is None else not v
    if c is TRUE:
        return True
    if c is FALSE:
        return False
    return None


def atoms(c: Cond) -> Iterator[Atom]:
    if isinstance(c, Atom):
        yield c
    elif isinstance(c, (And, Or)):
        for p in c.parts:
            yield from atoms(p)
    elif isinstance(c, Not):
        yield from atoms(c.part)


def is_broken(c: Cond) -> bool:
    if c is BROKEN:
        return True
    if isinstance(c, (And, Or)):
        return any(is_broken(p) for p in c.parts)
    if isinstance(c, Not):
        return is_broken(c.part)
    return False


def _not(c: Cond) -> Cond:
    if c is BROKEN or c is OTHER:
        return c
    if c is TRUE:
        return FALSE
    if c is FALSE:
        return TRUE
    return Not(c)


@dataclass(frozen=True)
class Subject:
    """A state expression as compared: the state itself, its ``.name``, its int, or a str rendering."""

    mode: str  # "state" | "name" | "int" | "rendered"
    classes: frozenset[EnumClass]
    key: Optional[str]


_GCA = ("_gca_resource", "gca_resource")


def key_of(node: cst.BaseExpression) -> Optional[str]:
    """``job.state`` / ``self._gca_resource.state`` -> ``job.state`` / ``self.state``; None for other shapes."""
    if isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
        return node.target.value
    d = dotted(node)
    if d is None:
        return None
    parts = [p for p in d.split(".") if p not in _GCA]
    return ".".join(parts)


def root_of(key: str) -> str:
    return key.split(".", 1)[0]


def compatible(classes: Iterable[EnumClass], cls: EnumClass) -> bool:
    return any(cls is k or model.twins(k, cls) for k in classes)


def representative(classes: Iterable[EnumClass]) -> EnumClass:
    return sorted(classes, key=lambda c: c.key)[0]


def ordered(cls: EnumClass, members: Iterable[str]) -> list[str]:
    """Members in the enum's declaration order."""
    order = list(cls.members)
    return sorted(members, key=lambda m: order.index(m) if m in order else len(order))


STATE_ATTRS = frozenset({"state", "job_state"})

_EQ = (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)
_NEG = (cst.NotEqual, cst.IsNot, cst.NotIn)
_ORDER = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


# ---------------------------------------------------------------------------------------------------------------
# The per-file analysis
# ---------------------------------------------------------------------------------------------------------------


def analysis_for(ctx: "Context") -> "Analysis":
    """One Analysis per analysed file, shared by the JS2xx rules (kept on the context)."""
    a = getattr(ctx, "_jobstate_flow", None)
    if a is None or a.ctx is not ctx:
        a = Analysis(ctx)
        try:
            setattr(ctx, "_jobstate_flow", a)
        except AttributeError:  # pragma: no cover - a slotted Context
            pass
    return a


class Analysis:
    def __init__(self, ctx: "Context") -> None:
        self.ctx = ctx
        self.resolver = ctx.resolver
        self.config = ctx.config
        self.consts = ctx.consts
        self.state_attrs = STATE_ATTRS | frozenset(ctx.config.state_attributes)
        self._conds: dict[int, Cond] = {}
        self._subjects: dict[int, Optional[Subject]] = {}
        self._evidence: Optional[dict[tuple[int, tuple[str, ...]], list[cst.BaseExpression]]] = None
        self._loops: Optional[list[LoopFacts]] = None
        self._timed: Optional[set[int]] = None
        self._never_return: Optional[frozenset[str]] = None

    def never_returns(self, name: str) -> bool:
        """Whether every function or method of this file called ``name`` always raises or exits.

        Such a helper (``def die(msg): raise SystemExit(msg)``, ``-> NoReturn``) ends a wait loop as surely as a
        ``raise`` does, whatever its name says.
        """
        if self._never_return is None:
            verdicts: dict[str, bool] = {}
            for fn in self.resolver.functions:
                n = fn.name.value
                verdicts[n] = verdicts.get(n, True) and _never_returns(fn)
            self._never_return = frozenset(n for n, v in verdicts.items() if v)
        return name in self._never_return

    # -- what is a state -----------------------------------------------------------------------------------

    def subject(self, node: cst.BaseExpression) -> Optional[Subject]:
        k = id(node)
        if k not in self._subjects:
            self._subjects[k] = self._subject(node)
        return self._subjects[k]

    def _subject(self, node: cst.BaseExpression) -> Optional[Subject]:
        v = self.resolver.state_of(node)
        if isinstance(v, Func) and isinstance(node, cst.Attribute) and isinstance(v.returns, StateVal):
            v = v.returns  # ``self.state`` where ``state`` is a property annotated ``-> JobState``
        elif v is None or isinstance(v, Func):
            v = self._extra_state(node)
        if isinstance(v, StateVal):
            if v.literal or not v.classes:
                return None
            return Subject("state", v.classes, key_of(node))
        if isinstance(v, NameOf) and v.state.classes:
            inner = node.value if isinstance(node, cst.Attribute) else None
            return Subject("name", v.state.classes, key_of(inner) if inner is not None else None)
        if isinstance(v, IntOf) and v.state.classes:
            inner = None
            if isinstance(node, cst.Attribute):
                inner = node.value
            elif isinstance(node, cst.Call) and node.args:
                inner = node.args[0].value
            return Subject("int", v.state.classes, key_of(inner) if inner is not None else None)
        if isinstance(v, Rendered):
            return Subject("rendered", v.state.classes, None)
        return None

    def _extra_state(self, node: cst.BaseExpression) -> Optional[StateVal]:
        """Peer evidence from collections the resolver could not build (imported from the source tree, ...)."""
        key = self._chain_key(node)
        if key is None:
            return None
        if self._evidence is None:
            self._evidence = self._index_comparisons()
        others = self._evidence.get(key)
        if not others:
            return None
        if self.resolver.has_evidence(*key):
            return None  # the resolver saw evidence of its own and still said unknown: conflicting
        classes: Optional[set[EnumClass]] = None
        for b in others:
            c = self.consts.consts(b)
            if c is not None and c.items:
                # each comparison says "one of these classes": together they must agree
                classes = set(c.classes) if classes is None else classes & set(c.classes)
        if not classes or not model.one_class(classes):
            return None
        return StateVal(frozenset(classes))

    def _chain_key(self, node: cst.BaseExpression) -> Optional[tuple[int, tuple[str, ...]]]:
        """The peer-evidence key of an unknown value: the resolver's Chain, or ``self.<method>`` of a property."""
        r = self.resolver.resolve(node)
        if isinstance(r, Chain):
            return (r.tag, r.attrs)
        if isinstance(r, Func) and r.returns is None and isinstance(node, cst.Attribute):
            base = self.resolver.resolve(node.value)
            if isinstance(base, SelfRef):  # ``self.state`` where ``state`` is an unannotated property
                return (base.tag, (node.attr.value,))
        return None

    def _index_comparisons(self) -> dict[tuple[int, tuple[str, ...]], list[cst.BaseExpression]]:
        """Unknown value key -> what it is compared with (evaluated only when that key is asked about)."""
        out: dict[tuple[int, tuple[str, ...]], list[cst.BaseExpression]] = {}
        kinds = (cst.Name, cst.Attribute, cst.Tuple, cst.List, cst.Set, cst.Call, cst.BinaryOperation)
        for comp in self.ctx.sites(cst.Comparison):
            left = comp.left
            for target in comp.comparisons:
                right = target.comparator
                op = target.operator
                pairs = [(left, right)]
                if isinstance(op, _EQ):
                    pairs.append((right, left))
                elif not isinstance(op, (cst.In, cst.NotIn)):
                    pairs = []
                for a, b in pairs:
                    if isinstance(b, kinds):
                        key = self._chain_key(a)
                        if key is not None:
                            out.setdefault(key, []).append(b)
                left = right
        return out

    # -- conditions ----------------------------------------------------------------------------------------

    def cond(self, node: cst.BaseExpression) -> Cond:
        k = id(node)
        c = self._conds.get(k)
        if c is None:
            c = self._cond(node)
            self._conds[k] = c
        return c

    def _cond(self, node: cst.BaseExpression) -> Cond:
        if isinstance(node, cst.BooleanOperation):
            # ``a or b or c`` nests to the left: flatten it without recursion
            op = type(node.operator)
            operands: list[cst.BaseExpression] = []
            cur: cst.BaseExpression = node
            while isinstance(cur, cst.BooleanOperation) and isinstance(cur.operator, op) and (
                cur is node or not cur.lpar
            ):
                operands.append(cur.right)
                cur = cur.left
            operands.append(cur)
            parts = tuple(self.cond(x) for x in reversed(operands))
            return And(parts) if op is cst.And else Or(parts)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return _not(self.cond(node.expression))
        if isinstance(node, cst.Comparison):
            parts: list[Cond] = []
            left = node.left
            for target in node.comparisons:
                parts.append(self._pair(left, target.operator, target.comparator))
                left = target.comparator
            return parts[0] if len(parts) == 1 else And(tuple(parts))
        if isinstance(node, cst.Name) and node.value in ("True", "False"):
            return TRUE if node.value == "True" else FALSE
        if isinstance(node, cst.Integer):
            return TRUE if node.evaluated_value else FALSE
        if isinstance(node, cst.NamedExpr):
            return self.cond(node.value)
        s = self.subject(node)
        if s is not None and s.mode == "state":
            return Atom(s.key, s.classes, None)  # truthiness of a state
        return OTHER

    def _pair(self, x: cst.BaseExpression, op: cst.BaseCompOp, y: cst.BaseExpression) -> Cond:
        if isinstance(op, _EQ):
            sx = self.subject(x)
            if sx is None:
                x, y, sx = y, x, self.subject(y)
            if sx is None:
                return OTHER
            c = self._atom(sx, y, equality=True)
        elif isinstance(op, (cst.In, cst.NotIn)):
            sx = self.subject(x)
            if sx is None:
                return OTHER
            c = self._atom(sx, y, equality=False)
        elif isinstance(op, _ORDER):
            sx = self.subject(x) or self.subject(y)
            if sx is None:
                return OTHER
            return Atom(sx.key, sx.classes, None) if sx.mode in ("state", "int") else OTHER
        else:
            return OTHER
        return _not(c) if isinstance(op, _NEG) else c

    def _atom(self, subj: Subject, other: cst.BaseExpression, equality: bool) -> Cond:
        classes = subj.classes
        rep = representative(classes)
        if subj.mode == "rendered":
            c = self.consts.consts(other)
            return BROKEN if c is not None and c.strs else OTHER
        if equality:
            so = self.subject(other)
            if so is not None:
                if so.mode == subj.mode == "state" and not any(compatible(classes, c) for c in so.classes):
                    return BROKEN
                return Atom(subj.key, classes, None)  # state compared with another state: not evaluable
        c = self.consts.consts(other)
        if c is None and not equality:
            c = self._dict_keys(other)  # ``state in {SUCCEEDED: ..., FAILED: ...}`` tests the keys
        if c is None:
            return Atom(subj.key, classes, None)
        members: set[str] = set()
        for cls, m in c.items:
            if subj.mode != "state":
                return Atom(subj.key, classes, None)
            if not compatible(classes, cls):
                return BROKEN
            members.add(m)
        for s in c.strs:
            if subj.mode == "state":
                if any(k.kind == model.PROTO for k in classes) or s not in rep.members:
                    return BROKEN  # JS102 / JS103
                members.add(s)
            elif subj.mode == "name":
                if s not in rep.members:
                    return BROKEN  # JS103
                members.add(s)
            else:
                return BROKEN
        for i in c.ints:
            if subj.mode == "name" or any(k.kind != model.PROTO for k in classes):
                return BROKEN
            m = rep.member_for_int(i)
            if m is None:
                return BROKEN  # JS104
            members.add(m)
        return Atom(subj.key, classes, frozenset(members))

    def _dict_keys(self, node: cst.BaseExpression) -> Optional[Consts]:
        d = node if isinstance(node, cst.Dict) else None
        if d is None:
            v = self.resolver.resolve(node)
            d = v.node if isinstance(v, DictLit) else None
        if d is None or not d.elements:
            return None
        out = Consts()
        for el in d.elements:
            if not isinstance(el, cst.DictElement):
                return None
            k = self.consts.consts(el.key)
            if k is None:
                return None
            out = out | k
        return out

    def case_cond(self, subject: Optional[Subject], case: cst.MatchCase) -> Cond:
        pat = self._pattern(subject, case.pattern)
        if case.guard is not None:
            return And((pat, self.cond(case.guard)))
        return pat

    def _pattern(self, subject: Optional[Subject], pat: cst.MatchPattern) -> Cond:
        if isinstance(pat, cst.MatchAs):
            if pat.pattern is None:
                return TRUE
            return self._pattern(subject, pat.pattern)
        if isinstance(pat, cst.MatchOr):
            return Or(tuple(self._pattern(subject, p.pattern) for p in pat.patterns))
        if isinstance(pat, cst.MatchValue) and subject is not None:
            return self._atom(subject, pat.value, equality=True)
        return OTHER

    # -- wait loops ----------------------------------------------------------------------------------------

    def loops(self) -> list["LoopFacts"]:
        if self._loops is None:
            self._loops = LoopAnalyser(self).run() if self._may_test_states() else []
        return self._loops

    def under_timeout(self, loop: cst.CSTNode) -> bool:
        """Whether a loop runs inside ``with timeout(...)`` / ``async with asyncio.timeout(...)`` (bounded)."""
        if self._timed is None:
            self._timed = set()
            # ``await asyncio.wait_for(self._poll(), timeout=600)``: every loop of ``_poll`` is bounded
            awaited_with_timeout = set()
            for call in self.ctx.sites(cst.Call):
                if _callee(call)[1] == "wait_for" and call.args and isinstance(call.args[0].value, cst.Call):
                    awaited_with_timeout.add(_callee(call.args[0].value)[1])
            stack: list[tuple[cst.CSTNode, bool]] = [(self.ctx.module, False)]
            while stack:
                n, timed = stack.pop()
                if isinstance(n, (cst.While, cst.For)) and timed:
                    self._timed.add(id(n))
                if isinstance(n, cst.With) and not timed:
                    timed = any(_is_timeout(item.item) for item in n.items)
                elif isinstance(n, cst.FunctionDef):
                    timed = n.name.value in awaited_with_timeout
                elif isinstance(n, cst.Lambda):
                    timed = False
                stack.extend((c, timed) for c in children(n) if isinstance(c, (cst.BaseStatement, cst.BaseSuite,
                              cst.BaseSmallStatement, cst.Else, cst.ExceptHandler, cst.Finally, cst.MatchCase,
                              cst.ExceptStarHandler)))
        return id(loop) in self._timed

    def _may_test_states(self) -> bool:
        """Cheap: could any comparison or match of this file test a state? (else no loop is analysed)"""
        if self.ctx.sites(cst.Match):
            return True
        r = self.resolver
        for comp in self.ctx.sites(cst.Comparison):
            sides = [comp.left] + [t.comparator for t in comp.comparisons]
            for side in sides:
                v = r.resolve(side)
                if isinstance(v, (StateVal, Coll, NameOf, IntOf, Rendered, Path, DictLit)):
                    return True
                if isinstance(v, Chain) and r.state_of(side) is not None:
                    return True
        return False


# ---------------------------------------------------------------------------------------------------------------
# Statement helpers
# ---------------------------------------------------------------------------------------------------------------


def body_of(suite: Optional[cst.CSTNode]) -> list[cst.CSTNode]:
    """The statements of a suite (``IndentedBlock``/``SimpleStatementSuite``), ``Else``, ``Finally``..."""
    if suite is None:
        return []
    if isinstance(suite, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
        return body_of(suite.body)
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    if isinstance(suite, cst.SimpleStatementSuite):
        return list(suite.body)
    if isinstance(suite, cst.If):  # an ``elif``
        return [suite]
    return []


def small_statements(stmt: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(stmt, cst.SimpleStatementLine):
        return list(stmt.body)
    return [stmt]


def calls_in(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Call/Yield nodes in an expression or statement (not inside lambdas)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Call, cst.Yield)):
            yield n
        if isinstance(n, cst.Lambda):
            continue
        stack.extend(children(n))


_EXIT_FUNCS = model.EXIT_FUNCS
_RAISING_WORDS = ("raise", "fail", "error", "check", "assert", "ensure", "verify", "validate", "throw", "abort")


def _never_returns(fn: cst.FunctionDef) -> bool:
    """``-> NoReturn`` / ``-> Never``, or a body whose last statement raises or calls ``sys.exit``."""
    ann = fn.returns.annotation if fn.returns is not None else None
    if ann is not None:
        name = (dotted(ann) or "").rsplit(".", 1)[-1]
        return name in model.NO_RETURN_TYPES
    body = fn.body
    if isinstance(body, cst.SimpleStatementSuite):  # ``def f(): raise X`` (and the stubs of engine.prune)
        smalls = body.body
    else:
        last = body.body[-1] if body.body else None
        smalls = last.body if isinstance(last, cst.SimpleStatementLine) else ()
    if not smalls:
        return False
    small = smalls[-1]
    if isinstance(small, cst.Raise):
        return True
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        return _callee(small.value)[0] in _EXIT_FUNCS
    return False


def _callee(call: cst.Call) -> tuple[str, str]:
    """(full dotted callee or "", last name)."""
    d = dotted(call.func) or ""
    if isinstance(call.func, cst.Attribute):
        return d, call.func.attr.value
    if isinstance(call.func, cst.Name):
        return d, call.func.value
    return d, ""


_TIMEOUT_WORDS = ("timeout", "deadline", "fail_after", "move_on_after", "time_limit")


def _is_timeout(expr: cst.BaseExpression) -> bool:
    """``timeout(60)``, ``asyncio.timeout(30)``, ``anyio.fail_after(5)``, ``async_timeout.timeout(9)``."""
    if isinstance(expr, cst.Call):
        last = _callee(expr)[1].lower()
        return any(w in last for w in _TIMEOUT_WORDS)
    return False


def _has_exit(nodes: list) -> bool:
    """Whether a compiled block can leave the iteration early (exit, continue)."""
    for n in nodes:
        tag = n[0]
        if tag in (_EXIT, _CONT):
            return True
        if tag == _IF and (_has_exit(n[2]) or _has_exit(n[3])):
            return True
        if tag == _TRY and (_has_exit(n[1]) or any(_has_exit(h) for h in n[2]) or _has_exit(n[3]) or _has_exit(n[4])):
            return True
        if tag == _LOOP and (_has_exit(n[1]) or _has_exit(n[2])):
            return True
    return False


def _waits(body: cst.CSTNode) -> bool:
    """Whether a loop body sleeps or waits (``time.sleep``, ``await asyncio.sleep``, ``event.wait``...)."""
    for n in calls_in(body):
        if isinstance(n, cst.Call):
            last = _callee(n)[1].lower()
            if "sleep" in last or last in ("wait", "wait_for", "poll", "backoff"):
                return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# Wait loops
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class LoopFacts:
    """What one polling loop does, per member of the polled enum."""

    node: cst.CSTNode
    kind: str  # "while" | "range" | "count"
    cls: EnumClass  # representative class of the polled state
    may_stop: frozenset[str]  # every state on which the loop may stop (timeouts and any exit included)
    stops_normally_on: frozenset[str]  # states on which it certainly stops and falls to the code after it
    keeps_waiting_on_running: bool
    evaluable: bool  # no opaque state test
    nested: bool  # inside another repeating loop of the same function


# control tree nodes (tuples, compiled once per loop)
_IF, _EXIT, _CONT, _LOCAL, _TRY, _LOOP = range(6)
_NORMAL = frozenset({"break", "return"})


class LoopAnalyser:
    def __init__(self, analysis: Analysis) -> None:
        self.a = analysis
        self.nested: set[int] = set()
        self._compiled: dict[tuple[int, bool], list] = {}
        self._conds: list[Cond] = []  # conds seen while compiling the current loop
        self._guarding: list[Cond] = []  # those of them that decide whether an exit or continue is reached

    def run(self) -> list[LoopFacts]:
        ctx = self.a.ctx
        loops: list[tuple[cst.CSTNode, str]] = []
        for node in ctx.sites(cst.While):
            loops.append((node, "while"))
        for node in ctx.sites(cst.For):
            kind = self._for_kind(node)
            # ``for i in range(len(jobs))`` searches; a bounded poll sleeps (or waits) between attempts
            if kind == "count" or (kind == "range" and _waits(node.body)):
                loops.append((node, kind))
        compiled = []
        for node, kind in loops:
            self._conds, self._guarding = [], []
            body = self._compile(body_of(node.body), inner=False)
            compiled.append((node, kind, body, list(self._conds), list(self._guarding)))
        out = []
        for node, kind, body, conds, guarding in compiled:
            facts = self._facts(node, kind, body, conds, guarding)
            if facts is not None:
                out.append(facts)
        return out

    def _for_kind(self, node: cst.For) -> Optional[str]:
        if node.asynchronous is not None or not isinstance(node.iter, cst.Call):
            return None
        func = node.iter.func
        if isinstance(func, cst.Name) and func.value == "range" and self.a.resolver.module_scope.lookup("range") is None:
            return "range"
        v = self.a.resolver.resolve(func)
        if isinstance(v, Path) and v.path == "itertools.count":
            return "count"
        return None

    # -- compile -------------------------------------------------------------------------------------------

    def _compile(self, stmts: list[cst.CSTNode], inner: bool) -> list:
        out: list = []
        for st in stmts:
            if isinstance(st, cst.SimpleStatementLine):
                for small in st.body:
                    out.extend(self._small(small, inner))
            elif isinstance(st, cst.BaseSmallStatement):
                out.extend(self._small(st, inner))
            elif isinstance(st, cst.If):
                c = self.a.cond(st.test)
                self._conds.append(c)
                then, other = self._compile(body_of(st.body), inner), self._compile(body_of(st.orelse), inner)
                if _has_exit(then) or _has_exit(other):
                    self._guarding.append(c)
                out.append((_IF, c, then, other))
            elif isinstance(st, (cst.While, cst.For)):
                if isinstance(st, cst.While) or self._for_kind(st) is not None:
                    self.nested.add(id(st))
                if isinstance(st, cst.While):
                    c = self.a.cond(st.test)
                    self._conds.append(c)
                key = (id(st), True)
                if key not in self._compiled:
                    self._compiled[key] = self._compile(body_of(st.body), inner=True)
                out.append((_LOOP, self._compiled[key], self._compile(body_of(st.orelse), inner)))
            elif isinstance(st, (cst.Try, cst.TryStar)):
                out.append((
                    _TRY,
                    self._compile(body_of(st.body), inner),
                    [self._compile(body_of(h), inner) for h in st.handlers],
                    self._compile(body_of(st.orelse), inner),
                    self._compile(body_of(st.finalbody), inner),
                ))
            elif isinstance(st, cst.With):
                for item in st.items:
                    out.extend(self._calls(item.item))
                out.extend(self._compile(body_of(st.body), inner))
            elif isinstance(st, cst.Match):
                subject = self.a.subject(st.subject)
                chain: list = []
                for case in reversed(st.cases):
                    c = self.a.case_cond(subject, case)
                    self._conds.append(c)
                    then = self._compile(body_of(case.body), inner)
                    if _has_exit(then) or _has_exit(chain):
                        self._guarding.append(c)
                    chain = [(_IF, c, then, chain)]
                out.extend(chain)
        return out

    def _small(self, small: cst.CSTNode, inner: bool) -> list:
        if isinstance(small, cst.Break):
            return [(_LOCAL,)] if inner else [(_EXIT, "break", True)]
        if isinstance(small, cst.Continue):
            return [(_LOCAL,)] if inner else [(_CONT,)]
        if isinstance(small, cst.Return):
            return [(_EXIT, "return", True)]
        if isinstance(small, cst.Raise):
            return [(_EXIT, "raise", True)]
        if isinstance(small, cst.Assert):
            c = self.a.cond(small.test)
            self._conds.append(c)
            self._guarding.append(c)
            return [(_IF, c, [], [(_EXIT, "raise", True)])]
        return self._calls(small)

    def _calls(self, node: cst.CSTNode) -> list:
        """Exits hidden in expressions: ``sys.exit()``, raising helpers (``_raise_if_failed(job)``), ``yield``."""
        out: list = []
        for n in calls_in(node):
            if isinstance(n, cst.Yield):
                out.append((_EXIT, "yield", False))
                continue
            assert isinstance(n, cst.Call)
            full, last = _callee(n)
            if full in _EXIT_FUNCS:
                out.append((_EXIT, "exit", True))
                continue
            low = last.lower()
            if any(w in low for w in _RAISING_WORDS) and "log" not in full.lower().rsplit(".", 1)[0]:
                out.append((_EXIT, "call", False))
            elif full in (last, f"self.{last}", f"cls.{last}") and self.a.never_returns(last):
                out.append((_EXIT, "raise", True))
        return out

    # -- run per state -------------------------------------------------------------------------------------

    def _walk(self, nodes: list, s: str, flags: tuple[bool, bool, bool], in_try: bool, in_handler: bool) -> set:
        """Outcomes of running ``nodes`` with the polled state ``s``.

        Outcomes: ("fall", flags), ("cont", flags), ("exit", kind, certain, in_handler, flags).
        flags = (took a branch that depends on something other than the state, passed a state-decided guard,
        went through an ``except`` handler).
        """
        outcomes: set = set()
        live = {flags}
        for n in nodes:
            if not live:
                break
            nxt: set = set()
            for f in live:
                for o in self._step(n, s, f, in_try, in_handler):
                    if o[0] == "fall":
                        nxt.add(o[1])
                    else:
                        outcomes.add(o)
            live = nxt
        for f in live:
            outcomes.add(("fall", f))
        return outcomes

    def _step(self, n: tuple, s: str, f: tuple[bool, bool, bool], in_try: bool, in_handler: bool) -> Iterable:
        tag = n[0]
        if tag == _IF:
            c = n[1]
            v = evaluate(c, s)
            decided = any(True for _ in atoms(c))
            out: set = set()
            nf = (True, f[1], f[2]) if v is None else (f[0], f[1] or decided, f[2])
            if v is True or v is None:
                out |= self._walk(n[2], s, nf, in_try, in_handler)
            if v is False or v is None:
                out |= self._walk(n[3], s, nf, in_try, in_handler)
            return out
        if tag == _EXIT:
            certain = n[2] and not (n[1] == "raise" and in_try)
            return [("exit", n[1], certain, in_handler, f)]
        if tag == _CONT:
            return [("cont", f)]
        if tag == _LOCAL:
            return [("fall", f)]
        if tag == _LOOP:
            out = {("fall", f)}
            for o in self._walk(n[1], s, f, in_try, in_handler):
                if o[0] == "exit":
                    out.add(("exit", o[1], False, o[3], o[4]))
                else:
                    out.add(("fall", o[1]))
            out |= {o for o in self._walk(n[2], s, f, in_try, in_handler) if o[0] != "fall"}
            return out
        if tag == _TRY:
            _, body, handlers, orelse, final = n
            out = set()
            falls: set = set()
            for o in self._walk(body, s, f, in_try or bool(handlers), in_handler):
                if o[0] == "fall":
                    falls |= {x for x in self._walk(orelse, s, o[1], in_try, in_handler)}
                else:
                    out.add(o)
            out |= {o for o in falls if o[0] != "fall"}
            falls = {o for o in falls if o[0] == "fall"}
            for h in handlers:
                for o in self._walk(h, s, (True, f[1], True), in_try, True):
                    if o[0] == "fall":
                        falls.add(o)
                    else:
                        out.add(o)
            if final:
                for o in falls:
                    out |= self._walk(final, s, o[1], in_try, in_handler)
            else:
                out |= falls
            return out
        return [("fall", f)]

    # -- facts -----------------------------------------------------------------------------------------------

    def _facts(self, node: cst.CSTNode, kind: str, body: list, conds: list[Cond],
               guarding: list[Cond]) -> Optional[LoopFacts]:
        cond: Cond = TRUE
        if isinstance(node, cst.While):
            cond = self.a.cond(node.test)
        all_conds = [cond] + conds
        found = [a for c in all_conds for a in atoms(c)]
        if not found:
            return None
        if any(is_broken(c) for c in all_conds):
            return None
        classes = frozenset(c for a in found for c in a.classes)
        if len({c.family for c in classes}) != 1 or not all(c.has_machine for c in classes):
            return None
        if not model.one_class(classes):
            return None
        cls = representative(classes)
        # an opaque state test (``state != last_state``) matters only where it decides an exit
        evaluable = all(a.members is not None for c in [cond] + guarding for a in atoms(c))
        # the condition with its non-state conjuncts (deadlines, counters) dropped: what the state alone decides
        conjuncts = cond.parts if isinstance(cond, And) else (cond,)
        state_parts = tuple(p for p in conjuncts if any(True for _ in atoms(p)))
        state_cond: Cond = TRUE if not state_parts else (state_parts[0] if len(state_parts) == 1 else And(state_parts))

        may_stop: set[str] = set()
        stops_normally: set[str] = set()
        sd_stop: set[str] = set()
        for s in cls.members:
            v = evaluate(cond, s)
            outs = self._walk(body, s, (False, False, False), False, False) if v is not False else set()
            exits = [o for o in outs if o[0] == "exit"]
            # JS202: may the loop stop on s at all (handler exits count only when a state test chose them)
            if v is not True or any(not o[3] or o[4][1] for o in exits):
                may_stop.add(s)
            # JS203: does it certainly stop on s and go on with the code after the loop (when nothing raises)
            plain = [o for o in outs if not (o[3] if o[0] == "exit" else o[1][2])]
            certain = v is False or (bool(plain) and all(o[0] == "exit" and o[2] for o in plain))
            normal = v is not True or any(o[1] in _NORMAL for o in exits)
            if certain and normal:
                stops_normally.add(s)
            # JS203: may the state alone make it stop (timeouts and other non-state exits ignored)
            sv = evaluate(state_cond, s)
            if sv is not True or any(not o[4][0] and (not o[3] or o[4][1]) for o in exits):
                sd_stop.add(s)
        running = cls.full("RUNNING")
        return LoopFacts(
            node=node,
            kind=kind,
            cls=cls,
            may_stop=frozenset(may_stop),
            stops_normally_on=frozenset(stops_normally),
            keeps_waiting_on_running=running is not None and running not in sd_stop,
            evaluable=evaluable,
            nested=id(node) in self.nested,
        )


# ---------------------------------------------------------------------------------------------------------------
# Known states (JS201)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    members: frozenset[str]
    classes: frozenset[EnumClass]
    origin: Optional[int]  # None: from a guard (valid in nested blocks); else the block of an assignment


Env = dict[str, Known]


@dataclass
class Transition:
    """An assignment whose destination cannot follow some state known at that point."""

    node: cst.CSTNode
    cls: EnumClass
    sources: tuple[str, ...]  # the impossible sources, in declaration order
    dst: str


@dataclass
class KnownStates:
    analysis: Analysis
    found: list[Transition] = field(default_factory=list)

    # -- entry points --------------------------------------------------------------------------------------

    def run(self) -> list[Transition]:
        a = self.analysis
        scopes: dict[int, cst.CSTNode] = {}
        for node in self._candidates():
            scope = a.resolver.scope_for(node).function()
            owner = scope.node if scope is not None else a.ctx.module
            scopes[id(owner)] = owner
        for owner in scopes.values():
            if isinstance(owner, cst.Module):
                self._block(list(owner.body), {}, id(owner))
            elif isinstance(owner, (cst.FunctionDef, cst.ClassDef)):
                self._block(body_of(owner.body), {}, id(owner.body))
        return self.found

    def _candidates(self) -> Iterator[cst.CSTNode]:
        """Assignments of a constant state (and ``setattr(x, "state", S)``): only their scopes are walked."""
        a = self.analysis
        for node in a.ctx.sites(cst.Assign):
            assert isinstance(node, cst.Assign)
            for t in node.targets:
                if isinstance(t.target, cst.Attribute) and t.target.attr.value in a.state_attrs:
                    c = a.consts.consts(node.value)
                    if c is not None and len(c.items) + len(c.strs) + len(c.ints) == 1:
                        yield node
                        break
                elif isinstance(t.target, cst.Name):
                    v = a.resolver.resolve(node.value)
                    if isinstance(v, StateVal) and v.literal and v.member is not None:
                        yield node
                        break
        for call in a.ctx.sites(cst.Call):
            if _setattr_state(call, a.state_attrs) is not None:
                yield call

    # -- walking ---------------------------------------------------------------------------------------------

    def _block(self, stmts: list[cst.CSTNode], env: Env, block: int) -> Optional[Env]:
        """Walk statements; the env at the end, or None when control cannot fall through."""
        cur: Optional[Env] = dict(env)
        for st in stmts:
            if cur is None:
                return None
            cur = self._stmt(st, cur, block)
        return cur

    def _stmt(self, st: cst.CSTNode, env: Env, block: int) -> Optional[Env]:  # noqa: C901 - one dispatch
        if isinstance(st, cst.SimpleStatementLine):
            cur: Optional[Env] = env
            for small in st.body:
                if cur is None:
                    return None
                cur = self._small(small, cur, block)
            return cur
        if isinstance(st, cst.BaseSmallStatement):
            return self._small(st, env, block)
        if isinstance(st, cst.If):
            self._forget_calls(st.test, env)
            c = self.analysis.cond(st.test)
            t_env = self._narrow(env, c, True)
            f_env = self._narrow(env, c, False)
            outs = []
            if t_env is not None:
                outs.append(self._block(body_of(st.body), t_env, id(st.body)))
            if f_env is not None:
                if isinstance(st.orelse, cst.If):
                    outs.append(self._stmt(st.orelse, f_env, block))
                elif isinstance(st.orelse, cst.Else):
                    outs.append(self._block(body_of(st.orelse), f_env, id(st.orelse.body)))
                else:
                    outs.append(f_env)
            return _join(outs)
        if isinstance(st, (cst.While, cst.For)):
            touched = _touched(st)
            before = {k: v for k, v in env.items() if root_of(k) not in touched}
            inner = dict(before)
            if isinstance(st, cst.While):
                self._forget_calls(st.test, inner)
                narrowed = self._narrow(inner, self.analysis.cond(st.test), True)
                inner = narrowed if narrowed is not None else {}
            else:
                self._forget_calls(st.iter, inner)
            self._block(body_of(st.body), {k: v for k, v in inner.items() if v.origin is None}, id(st.body))
            if st.orelse is not None:
                self._block(body_of(st.orelse), before, id(st.orelse.body))
            return {k: v for k, v in before.items() if v.origin is None or v.origin == block}
        if isinstance(st, (cst.Try, cst.TryStar)):
            touched = _touched_block(body_of(st.body))
            body_end = self._block(body_of(st.body), env, id(st.body))
            if body_end is not None and st.orelse is not None:
                body_end = self._block(body_of(st.orelse), body_end, id(st.orelse.body))
            outs = [body_end]
            for h in st.handlers:
                h_env = {k: v for k, v in env.items() if root_of(k) not in touched and v.origin is None}
                if h.name is not None and isinstance(h.name.name, cst.Name):
                    _forget_root(h_env, h.name.name.value)
                outs.append(self._block(body_of(h), h_env, id(h.body)))
            joined = _join(outs)
            if st.finalbody is not None:
                fin_env = joined if joined is not None else {}
                end = self._block(body_of(st.finalbody), fin_env, id(st.finalbody.body))
                return end if joined is not None else None
            return joined
        if isinstance(st, cst.With):
            for item in st.items:
                self._forget_calls(item.item, env)
                if item.asname is not None:
                    for n in _target_names(item.asname.name):
                        _forget_root(env, n)
            return self._block(body_of(st.body), env, id(st.body))
        if isinstance(st, cst.Match):
            return self._match(st, env, block)
        if isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            _forget_root(env, st.name.value)
            return env
        return env

    def _small(self, small: cst.CSTNode, env: Env, block: int) -> Optional[Env]:
        if isinstance(small, (cst.Return, cst.Raise)):
            self._forget_calls(small, env)
            return None
        if isinstance(small, (cst.Break, cst.Continue)):
            return None
        if isinstance(small, cst.Assert):
            self._forget_calls(small.test, env)
            narrowed = self._narrow(env, self.analysis.cond(small.test), True)
            return narrowed if narrowed is not None else None
        if isinstance(small, cst.Assign):
            self._forget_calls(small.value, env)
            d = dotted(small.value)
            if d and d.rsplit(".", 1)[-1] not in self.analysis.state_attrs | {"name", "value"}:
                _forget_root(env, d.split(".")[0])  # an alias of the object can change it behind our back
            for t in small.targets:
                self._assign(t.target, small.value, small, env, block)
            return env
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._forget_calls(small.value, env)
                self._assign(small.target, small.value, small, env, block)
            return env
        if isinstance(small, cst.AugAssign):
            self._forget_calls(small.value, env)
            k = key_of(small.target)
            if k is not None:
                _forget_key(env, k)
            return env
        if isinstance(small, cst.Del):
            for n in _target_names(small.target):
                _forget_root(env, n)
            return env
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            names = small.names if not isinstance(small.names, cst.ImportStar) else []
            for alias in names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                d = dotted(bound) if isinstance(bound, (cst.Name, cst.Attribute)) else None
                if d:
                    _forget_root(env, d.split(".")[0])
            return env
        if isinstance(small, cst.Expr):
            v = small.value
            if isinstance(v, cst.Call):
                st = _setattr_state(v, self.analysis.state_attrs)
                if st is not None:
                    target_key, value = st
                    self._forget_calls(value, env)
                    self._check(target_key, value, v, env, block, attribute=True)
                    return env
            self._forget_calls(v, env)
            return env
        return env

    def _match(self, st: cst.Match, env: Env, block: int) -> Optional[Env]:
        self._forget_calls(st.subject, env)
        subject = self.analysis.subject(st.subject)
        rest: Optional[Env] = env
        outs: list[Optional[Env]] = []
        for case in st.cases:
            if rest is None:
                break
            c = self.analysis.case_cond(subject, case)
            t_env = self._narrow(rest, c, True)
            if t_env is not None:
                outs.append(self._block(body_of(case.body), t_env, id(case.body)))
            rest = self._narrow(rest, c, False)
        outs.append(rest)
        return _join(outs)

    # -- guards ----------------------------------------------------------------------------------------------

    def _narrow(self, env: Env, c: Cond, truth: bool) -> Optional[Env]:
        """``env`` where ``c`` has the value ``truth``; None when that cannot happen."""
        out = dict(env)
        by_key: dict[str, set[EnumClass]] = {}
        for at in atoms(c):
            if at.key is not None and at.members is not None:
                by_key.setdefault(at.key, set()).update(at.classes)
        for k, classes in by_key.items():
            if not model.one_class(classes):
                continue
            cls = representative(classes)
            universe = list(cls.members)
            possible = {s for s in universe if evaluate(c, s, k) in (truth, None)}
            if len(possible) == len(universe):
                continue  # the guard says nothing about k
            prior = out.get(k)
            if prior is not None and all(compatible(classes, p) for p in prior.classes):
                possible &= prior.members
            if not possible:
                return None
            out[k] = Known(frozenset(possible), frozenset(classes), None)
        return out

    # -- assignments -----------------------------------------------------------------------------------------

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode, env: Env,
                block: int) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for n in _target_names(target):
                _forget_root(env, n)
            return
        k = key_of(target)
        if k is None:
            return
        attribute = isinstance(target, cst.Attribute)
        if attribute and target.attr.value not in self.analysis.state_attrs:
            _forget_key(env, k)  # ``job.end_time = None`` says nothing about ``job.state``
            return
        target_classes = None
        if attribute:
            subj = self.analysis.subject(target)
            target_classes = subj.classes if subj is not None and subj.mode == "state" else None
        self._check(k, value, node, env, block, attribute=attribute, target_classes=target_classes)

    def _check(self, k: str, value: cst.BaseExpression, node: cst.CSTNode, env: Env, block: int,
               attribute: bool, target_classes: Optional[frozenset[EnumClass]] = None) -> None:
        prior = env.get(k)
        dst = self._destination(value, prior.classes if prior is not None else target_classes)
        if prior is not None and dst is not None and (prior.origin is None or prior.origin == block):
            cls, member = dst
            if compatible(prior.classes, cls) and member in cls.members:
                bad = tuple(p for p in ordered(cls, prior.members) if not model.transition_allowed(cls, p, member))
                if bad:
                    self.found.append(Transition(node, cls, bad, member))
        _forget_key(env, k)
        if not attribute:
            _forget_root(env, k)
        elif dst is not None:
            env[k] = Known(frozenset({dst[1]}), frozenset({dst[0]}), block)

    def _destination(self, value: cst.BaseExpression,
                     classes: Optional[frozenset[EnumClass]]) -> Optional[tuple[EnumClass, str]]:
        c = self.analysis.consts.consts(value)
        if c is None:
            return None
        if len(c.items) == 1 and not c.strs and not c.ints:
            cls, m = next(iter(c.items))
            return (cls, m) if cls.has_machine else None
        if not classes:
            return None
        cls = representative(classes)
        if len(c.ints) == 1 and not c.items and not c.strs and cls.kind == model.PROTO:
            m = cls.member_for_int(next(iter(c.ints)))
            return (cls, m) if m is not None else None
        if len(c.strs) == 1 and not c.items and not c.ints:
            s = next(iter(c.strs))
            return (cls, s) if s in cls.members else None
        return None

    # -- forgetting ------------------------------------------------------------------------------------------

    def _forget_calls(self, node: Optional[cst.CSTNode], env: Env) -> None:
        """A call that receives an object may change its state: forget what was known under that root."""
        if node is None or not env:
            return
        for n in calls_in(node):
            roots: set[str] = set()
            if isinstance(n, cst.Yield):  # a yielded object may come back changed
                value = n.value.value if isinstance(n.value, cst.From) else n.value
                d = dotted(value) if value is not None else None
                if d:
                    _forget_root(env, d.split(".")[0])
                continue
            assert isinstance(n, cst.Call)
            if isinstance(n.func, cst.Attribute):
                d = dotted(n.func.value)
                if d:
                    roots.add(d.split(".")[0])
            for arg in n.args:
                d = dotted(arg.value)
                if d is None:
                    continue
                parts = d.split(".")
                if len(parts) > 1 and parts[-1] in self.analysis.state_attrs | {"name", "value"}:
                    continue  # passing the state (or its name) passes a value, not the object
                roots.add(parts[0])
            for r in roots:
                _forget_root(env, r)


def _setattr_state(call: cst.Call, state_attrs: frozenset[str]) -> Optional[tuple[str, cst.BaseExpression]]:
    """``setattr(x, "state", S)`` -> ("x.state", S)."""
    if not (isinstance(call.func, cst.Name) and call.func.value == "setattr" and len(call.args) == 3):
        return None
    if any(a.keyword is not None or a.star for a in call.args):
        return None
    from .resolver import str_literal

    attr = str_literal(call.args[1].value)
    base = key_of(call.args[0].value)
    if attr is None or attr not in state_attrs or base is None:
        return None
    return f"{base}.{attr}", call.args[2].value


def _join(envs: list[Optional[Env]]) -> Optional[Env]:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    out: Env = {}
    first = live[0]
    for k, v in first.items():
        entries = [e.get(k) for e in live]
        if any(x is None for x in entries):
            continue
        origins = {x.origin for x in entries if x is not None}
        if len(origins) != 1:
            continue
        members = frozenset().union(*(x.members for x in entries if x is not None))
        classes = frozenset().union(*(x.classes for x in entries if x is not None))
        if len(members) >= len(representative(classes).members):
            continue  # every state is possible again: nothing is known
        out[k] = Known(members, classes, v.origin)
    return out


def _forget_key(env: Env, k: str) -> None:
    for key in [x for x in env if x == k or x.startswith(k + ".")]:
        del env[key]


def _forget_root(env: Env, root: str) -> None:
    for key in [x for x in env if root_of(x) == root]:
        del env[key]


def _target_names(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for el in node.elements:
            yield from _target_names(el.value)
    elif isinstance(node, cst.StarredElement):
        yield from _target_names(node.value)
    elif isinstance(node, (cst.Attribute, cst.Subscript)):
        d = dotted(node.value) if isinstance(node, cst.Attribute) else dotted(node.value)
        if d:
            yield d.split(".")[0]


def _touched(loop: Union[cst.While, cst.For]) -> set[str]:
    out = _touched_block(body_of(loop.body))
    if isinstance(loop, cst.For):
        out |= set(_target_names(loop.target))
    return out


def _touched_block(stmts: list[cst.CSTNode]) -> set[str]:
    """Roots assigned, or passed to / called on by a call, anywhere in these statements."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Assign,)):
            for t in n.targets:
                out |= set(_target_names(t.target))
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            out |= set(_target_names(n.target))
        elif isinstance(n, cst.For):
            out |= set(_target_names(n.target))
        elif isinstance(n, cst.NamedExpr):
            out |= set(_target_names(n.target))
        elif isinstance(n, cst.Call):
            if isinstance(n.func, cst.Attribute):
                d = dotted(n.func.value)
                if d:
                    out.add(d.split(".")[0])
            for arg in n.args:
                d = dotted(arg.value)
                if d:
                    out.add(d.split(".")[0])
        stack.extend(children(n))
    return out
