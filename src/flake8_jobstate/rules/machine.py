"""JS2xx: the state machine (transitions, wait loops, state sets, match)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Iterator, Optional

import libcst as cst

from .. import model
from ..flow import (
    BROKEN,
    OTHER,
    TRUE,
    Analysis,
    Atom,
    KnownStates,
    Or,
    Subject,
    analysis_for,
    body_of,
    compatible,
    is_broken,
    ordered,
    representative,
)
from ..model import EnumClass
from ..resolver import ClassRef, Chain, DictLit, Obj, Opaque, dotted
from ..resolver import iter_children as children
from .base import Finding, Rule, guarded_by_try

if TYPE_CHECKING:
    from ..context import Context

_OPTION_DOC = (
    "`--jobstate-terminal-states` (flake8) / `terminal-states` (`[tool.flake8-jobstate]`): extra states that end a\n"
    "wait, such as `PAUSED`, on top of the documented terminal states (SUCCEEDED, FAILED, CANCELLED, EXPIRED,\n"
    "PARTIALLY_SUCCEEDED; PipelineState: SUCCEEDED, FAILED, CANCELLED)."
)


def _names(members: Iterable[str]) -> str:
    return ", ".join(members)


def _short(cls: EnumClass, members: Iterable[str]) -> str:
    return ", ".join(cls.short(m) for m in members)


# ---------------------------------------------------------------------------------------------------------------
# JS201
# ---------------------------------------------------------------------------------------------------------------


def why_not(cls: EnumClass, src: str, dst: str) -> str:
    """Why ``src -> dst`` is impossible, phrased from the model's machine."""
    if src in model.terminal_members(cls):
        return f"{cls.short(src)} is terminal, a job never leaves it"
    succ = [d for d in cls.members if d != src and model.transition_allowed(cls, src, d)]
    preds = [p for p in cls.members if p != dst and model.transition_allowed(cls, p, dst)]
    if preds and len(preds) <= len(succ):
        return f"only {_short(cls, preds)} can move to {cls.short(dst)}"
    return f"{cls.short(src)} moves only to {_short(cls, succ)}"


class InvalidTransition(Rule):
    """A job state set where the documented state machine cannot get there.

    ## What it does
    Finds assignments of a state (`x.state = S`, `setattr(x, "state", S)`, a state variable) where the states
    known at that point include one from which the service never moves to `S`, and mock sequences
    (`side_effect=[...]` of members, or of messages built with `state=`) with an impossible step. The known
    states come from `if`/`elif`/`else` guards, early `return`/`raise`/`continue`/`break`, `assert`, `match`
    cases on the same expression, and for `x.state` from an earlier assignment in the same block with no call
    that receives `x` in between. The machine: CANCELLING ends only in SUCCEEDED, FAILED or CANCELLED; only a
    RUNNING job becomes UPDATING, and UPDATING returns to RUNNING; terminal states have no way out; repeating a
    state is always allowed. Building a message in any state is not a transition and is never reported.

    ## Why is this bad?
    The code (or a fake in a test) produces a job history the service can never produce, so a waiter tested
    against it is tested against fiction: a test feeding RUNNING after CANCELLING passes for a waiter that
    would hang on the real sequence.

    ## Example
    ```python
    from unittest import mock

    from google.cloud.aiplatform_v1 import CustomJob, JobState

    get_custom_job = mock.Mock(side_effect=[
        CustomJob(state=JobState.JOB_STATE_RUNNING),
        CustomJob(state=JobState.JOB_STATE_CANCELLING),
        CustomJob(state=JobState.JOB_STATE_RUNNING),
    ])
    ```

    ## Use instead
    ```python
    from unittest import mock

    from google.cloud.aiplatform_v1 import CustomJob, JobState

    get_custom_job = mock.Mock(side_effect=[
        CustomJob(state=JobState.JOB_STATE_RUNNING),
        CustomJob(state=JobState.JOB_STATE_CANCELLING),
        CustomJob(state=JobState.JOB_STATE_CANCELLED),
    ])
    ```

    ## Fix safety
    No fix: which step is wrong needs a human.

    ## Options
    Not affected by `--jobstate-terminal-states` (that option is about when to stop waiting; the service's
    machine is fixed). `--jobstate-state-attributes` adds attribute names whose assignments are checked.

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    - [docs/state-machine.md](state-machine.md): the machine this rule enforces
    """

    code = "JS201"
    name = "invalid-transition"
    summary = "state set where the documented machine cannot get there"
    message = "{src} -> {dst} never happens ({why}); check the guard or the state sequence"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        a = analysis_for(ctx)
        for t in KnownStates(a).run():
            yield self._finding(t.node, t.cls, t.sources, t.dst)
        yield from _MockSequences(a, self).check()

    def _finding(self, node: cst.CSTNode, cls: EnumClass, sources: tuple[str, ...], dst: str) -> Finding:
        return self.report(node, src=" / ".join(cls.short(s) for s in sources), dst=cls.short(dst),
                           why=why_not(cls, sources[0], dst))


class _MockSequences:
    """``side_effect=[...]`` of successive poll results."""

    def __init__(self, analysis: Analysis, rule: InvalidTransition) -> None:
        self.a = analysis
        self.rule = rule
        self._defs: Optional[dict[tuple[int, str], list[cst.Assign]]] = None

    def check(self) -> Iterator[Finding]:
        ctx = self.a.ctx
        for call in ctx.sites(cst.Call):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "side_effect":
                    yield from self._sequence(arg.value, call)
        for assign in ctx.sites(cst.Assign):
            for t in assign.targets:
                if isinstance(t.target, cst.Attribute) and t.target.attr.value == "side_effect":
                    yield from self._sequence(assign.value, assign)

    def _sequence(self, node: cst.BaseExpression, site: cst.CSTNode) -> Iterator[Finding]:
        if not isinstance(node, (cst.List, cst.Tuple)):
            return
        prev: Optional[tuple[EnumClass, str]] = None
        for el in node.elements:
            cur = None if isinstance(el, cst.StarredElement) else self._state(el.value, site, 0)
            if cur is not None and prev is not None and compatible({prev[0]}, cur[0]):
                cls = prev[0]
                if not model.transition_allowed(cls, prev[1], cur[1]):
                    yield self.rule._finding(el.value, cls, (prev[1],), cur[1])
            prev = cur

    def _state(self, node: cst.BaseExpression, site: cst.CSTNode, depth: int) -> Optional[tuple[EnumClass, str]]:
        if depth > 2:
            return None
        a = self.a
        c = a.consts.consts(node) if not isinstance(node, cst.Call) else None
        if c is not None:
            if len(c.items) == 1 and not c.strs and not c.ints:
                cls, m = next(iter(c.items))
                return (cls, m) if cls.has_machine else None
            return None
        if isinstance(node, cst.Call):
            return self._built(node)
        if isinstance(node, cst.Name):
            value = self._definition(node, site)
            if value is not None:
                return self._state(value, site, depth + 1)
        return None

    def _built(self, call: cst.Call) -> Optional[tuple[EnumClass, str]]:
        """A message (or a test helper) built with ``state=<member>``."""
        a = self.a
        func = a.resolver.resolve(call.func)
        enum = func.kind.enum if isinstance(func, ClassRef) and func.kind.is_message else None
        attrs = {func.kind.state_attr} if enum is not None else a.state_attrs
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value not in attrs:
                continue
            c = a.consts.consts(arg.value)
            if c is None:
                return None
            if len(c.items) == 1 and not c.strs and not c.ints:
                cls, m = next(iter(c.items))
                if enum is not None and not compatible({enum}, cls):
                    return None
                return (cls, m) if cls.has_machine else None
            if enum is not None and len(c.ints) == 1 and not c.items and not c.strs and enum.kind == model.PROTO:
                m = enum.member_for_int(next(iter(c.ints)))
                return (enum, m) if m is not None else None
            if enum is not None and len(c.strs) == 1 and not c.items and not c.ints:
                s = next(iter(c.strs))
                return (enum, s) if s in enum.members else None
            return None
        return None

    def _definition(self, name: cst.Name, site: cst.CSTNode) -> Optional[cst.BaseExpression]:
        """The value of the one assignment to ``name`` in the site's scope (or the module)."""
        r = self.a.resolver
        if self._defs is None:
            self._defs = {}
            for assign in self.a.ctx.sites(cst.Assign):
                scope = r.scope_for(assign)
                for t in assign.targets:
                    if isinstance(t.target, cst.Name):
                        self._defs.setdefault((id(scope), t.target.value), []).append(assign)
        v = r.resolve(name)
        if not isinstance(v, (Obj, Chain, Opaque)) and v is not None:
            return None
        scope = r.scope_for(site)
        while scope is not None:
            found = self._defs.get((id(scope), name.value))
            if found:
                return found[0].value if len(found) == 1 else None
            scope = scope.parent
        return None


# ---------------------------------------------------------------------------------------------------------------
# JS202 / JS203
# ---------------------------------------------------------------------------------------------------------------


class WaitLoopMissesTerminalState(Rule):
    """A wait loop that can only stop on some of the terminal states.

    ## What it does
    Finds polling loops (`while`, `while True` with `break`/`return`/`raise`, `for ... in itertools.count()`)
    whose exit set, from the loop condition and every exit with the guards around it (`if`/`elif`/`else`,
    `match`, `assert`, `continue`), contains some terminal states but not all of them. Collections are resolved
    through module constants, member aliases, class attributes (`self._TERMINAL`), names imported from other
    modules of the same source tree, and the SDK's own sets (`aiplatform.jobs._JOB_COMPLETE_STATES`).
    A loop is bounded, and never reported, when it is a `for` over `range(...)`, when its condition has a
    conjunct that does not test the state (`and time.time() < deadline`), when it has an exit outside
    `except` handlers whose guard does not test the state (a deadline, timeout or attempt counter), or when it
    runs inside `with timeout(...)` / `async with asyncio.timeout(...)`. Exits inside `except` handlers (retry
    budgets on API errors) do not bound a loop.

    ## Why is this bad?
    An unbounded loop hangs forever when the job ends in a state it does not stop on. The SDK's own
    `_JOB_COMPLETE_STATES` lacks EXPIRED and PARTIALLY_SUCCEEDED, so `_block_until_complete` polls forever
    on those; sample notebooks that stop only on SUCCEEDED or FAILED hang on CANCELLED.

    ## Example
    ```python
    import time

    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    while job.state not in (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED):
        time.sleep(30)
        job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    ```

    ## Use instead
    ```python
    import time

    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    TERMINAL_STATES = frozenset({
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_CANCELLED,
        JobState.JOB_STATE_EXPIRED,
        JobState.JOB_STATE_PARTIALLY_SUCCEEDED,
    })

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    while job.state not in TERMINAL_STATES:
        time.sleep(30)
        job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    ```

    ## Fix safety
    No fix: whether to add the states or a deadline is a design decision.

    ## Options
    {options}

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    - [docs/state-machine.md](state-machine.md)
    """

    code = "JS202"
    name = "wait-loop-misses-terminal-state"
    summary = "unbounded wait loop that never stops on some terminal states"
    message = "wait loop never stops on {missing}: it hangs if the job ends there; stop on every terminal state or add a deadline"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        extra = ctx.config.extra_terminal_states
        a = analysis_for(ctx)
        for lf in a.loops():
            if lf.kind == "range":
                continue
            terminal = model.terminal_members(lf.cls, extra)
            missing = terminal - lf.may_stop
            if missing and terminal & lf.may_stop and not a.under_timeout(lf.node):
                yield self.report(lf.node, missing=_names(ordered(lf.cls, missing)))


class WaitLoopExitsOnActiveState(Rule):
    """A wait loop that keeps waiting on RUNNING but stops on another active state.

    ## What it does
    Finds polling loops that keep waiting while the job is RUNNING (so they wait for the end) but stop, and
    fall through to the code after the loop, on another active state: `while state == RUNNING` stops at once on
    QUEUED and PENDING; `while state in {PENDING, RUNNING}` stops on QUEUED, CANCELLING and UPDATING. A loop
    that deliberately waits for the start (`while state in (QUEUED, PENDING)`) stops on RUNNING and is not
    reported; neither is a loop nested inside another polling loop. Bounded loops are checked too.

    ## Why is this bad?
    The code after the loop treats a live job as finished: it reports a QUEUED job as failed, or reads outputs
    of a job that is still being updated.

    ## Example
    ```python
    import time

    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    while job.state == JobState.JOB_STATE_RUNNING:
        time.sleep(30)
        job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    ```

    ## Use instead
    ```python
    import time

    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    ACTIVE_STATES = frozenset({
        JobState.JOB_STATE_QUEUED,
        JobState.JOB_STATE_PENDING,
        JobState.JOB_STATE_RUNNING,
        JobState.JOB_STATE_CANCELLING,
        JobState.JOB_STATE_UPDATING,
    })

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    while job.state in ACTIVE_STATES:
        time.sleep(30)
        job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    ```

    ## Fix safety
    No fix.

    ## Options
    {options}

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    """

    code = "JS203"
    name = "wait-loop-exits-on-active-state"
    summary = "wait loop that stops on an active state other than RUNNING"
    message = "wait loop keeps waiting on {running} but stops on {states}, which are still active; poll until a terminal state"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for lf in analysis_for(ctx).loops():
            if lf.nested or not lf.evaluable or not lf.keeps_waiting_on_running:
                continue
            running = lf.cls.full("RUNNING")
            stops = (model.active_members(lf.cls) - {running}) & lf.stops_normally_on
            if stops and running is not None:
                yield self.report(lf.node, running=running, states=_names(ordered(lf.cls, stops)))


# ---------------------------------------------------------------------------------------------------------------
# JS204
# ---------------------------------------------------------------------------------------------------------------

_TERMINAL_WORDS = frozenset({"terminal", "complete", "completed", "done", "finished", "final", "end", "ended", "stopped"})
_ACTIVE_WORDS = frozenset({"pending", "running", "active", "inprogress", "waiting"})
# words that make a name a deliberate subset ("successful end states") or a negation ("non terminal")
_QUALIFIERS = frozenset({
    "non", "not", "un", "no", "success", "successful", "successfully", "succeeded", "succeed", "ok", "good", "bad",
    "fail", "failed", "failure", "failures", "error", "errors", "err", "cancel", "cancelled", "canceled",
    "cancelling", "unsuccessful", "retry", "retryable", "expected", "unexpected", "partial", "abnormal", "normal",
    "other", "except", "excluding", "without", "some", "user", "paused",
    # a position relative to the kind ("pre-terminal", "states before end", "past pending")
    "pre", "post", "before", "after", "past", "until", "prior",
})


def name_words(name: str) -> list[str]:
    """``_JOB_COMPLETE_STATES`` -> [job, complete, states]; ``inProgressStates`` -> [in, progress, states]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = [w.lower() for w in re.split(r"[_\W]+", spaced) if w]
    out: list[str] = []
    for w in words:
        if out and out[-1] == "in" and w == "progress":
            out[-1] = "inprogress"
        else:
            out.append(w)
    return out


_KIND_STEMS = ("termin", "complet", "done", "finish", "final", "end", "stop", "pending", "running", "active",
               "progress", "waiting")


def name_kind(name: str) -> Optional[str]:
    """"terminal" or "active" when the name says so, unambiguously and without a qualifier."""
    low = name.lower()
    if not any(stem in low for stem in _KIND_STEMS):  # cheap: most names say nothing of the kind
        return None
    words = set(name_words(name))
    if words & _QUALIFIERS:
        return None
    t, a = bool(words & _TERMINAL_WORDS), bool(words & _ACTIVE_WORDS)
    if t and not a:
        return "terminal"
    if a and not t:
        return "active"
    return None


def named_collections(module: cst.Module) -> Iterator[tuple[str, cst.CSTNode, cst.BaseExpression, cst.CSTNode]]:
    """(name, target, value, statement) of module- and class-level assignments."""

    def simple(stmts: Iterable[cst.CSTNode]) -> Iterator[tuple[str, cst.CSTNode, cst.BaseExpression, cst.CSTNode]]:
        for st in stmts:
            if isinstance(st, cst.SimpleStatementLine):
                for small in st.body:
                    if isinstance(small, cst.Assign):
                        for t in small.targets:
                            if isinstance(t.target, cst.Name):
                                yield t.target.value, t.target, small.value, small
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        if isinstance(small.target, cst.Name):
                            yield small.target.value, small.target, small.value, small

    for st in module.body:
        if isinstance(st, cst.ClassDef):
            yield from simple(body_of(st.body))
        else:
            yield from simple([st])


_WRAPPERS = ("frozenset", "set", "tuple", "list", "sorted")


def _is_alias(value: cst.BaseExpression) -> bool:
    """``X``, ``mod.X``, ``frozenset(X)``: the collection is spelled elsewhere (reported there); ``A - B``: a
    deliberate subset of a set spelled elsewhere."""
    if isinstance(value, (cst.Name, cst.Attribute)):
        return True
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in _WRAPPERS:
        return len(value.args) == 1 and isinstance(value.args[0].value, (cst.Name, cst.Attribute))
    return False


class IncompleteStateSet(Rule):
    """A named collection of states whose contents contradict its name.

    ## What it does
    Finds collections of states (module, class or function level) whose name says terminal (`terminal`,
    `complete`, `done`, `finished`, `final`, `end`/`ended`, `stopped`) but that lack a terminal state or hold an
    active one, and collections named as live (`pending`, `running`, `active`, `in_progress`, `waiting`) that
    hold a terminal state. Names that qualify the set (`_JOB_ERROR_STATES`, `SUCCESSFUL_END_STATES`,
    `NON_TERMINAL`) are deliberate subsets and are not checked; neither are plain aliases of a set defined
    elsewhere nor sets built by removing states (`TERMINAL - ERRORS`).
    Also finds predicates (functions, methods, properties) whose name says done (`is_done`, `has_finished`,
    `job_completed`, `is_terminal`) and that return membership in an inline set, or in a set whose own name
    says nothing (a named `_DONE_STATES` is reported where it is defined, once), with the same holes.
    A set of plain strings (`{"JOB_STATE_SUCCEEDED", ...}`) counts when its use shows what the strings are:
    tested with `in` against a google-genai state (`batch_job.state in completed_states`) or a state's `.name`;
    a str set tested against a proto state is JS102's, and one never tested against a state is left alone.

    ## Why is this bad?
    Every later `in` test inherits the hole: the SDK's own `_JOB_COMPLETE_STATES` lacks EXPIRED and
    PARTIALLY_SUCCEEDED, and every wait built on it hangs on those states.

    ## Example
    ```python
    from google.cloud.aiplatform_v1 import JobState

    _JOB_COMPLETE_STATES = (
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_CANCELLED,
        JobState.JOB_STATE_PAUSED,
    )
    ```

    ## Use instead
    ```python
    from google.cloud.aiplatform_v1 import JobState

    _JOB_COMPLETE_STATES = (
        JobState.JOB_STATE_SUCCEEDED,
        JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_CANCELLED,
        JobState.JOB_STATE_PAUSED,
        JobState.JOB_STATE_EXPIRED,
        JobState.JOB_STATE_PARTIALLY_SUCCEEDED,
    )
    ```

    ## Fix safety
    No fix.

    ## Options
    {options}

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    """

    code = "JS204"
    name = "incomplete-state-set"
    summary = "terminal/active state set that contradicts its name"
    message = "{name} {problem}; {hint}"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        a = analysis_for(ctx)
        extra = ctx.config.extra_terminal_states
        str_uses: Optional[dict[int, frozenset[EnumClass]]] = None
        for name, target, value, stmt in _all_collections(ctx):
            kind = name_kind(name)
            if kind is None or _is_alias(value):
                continue
            c = a.consts.consts(value)
            if c is None:
                continue
            if c.only_members:
                classes = c.classes
            elif c.strs and not c.items and not c.ints:
                # a set of plain strings: states only when a use shows it (``genai_job.state in S``)
                if str_uses is None:
                    str_uses = _str_set_uses(a)
                classes = str_uses.get(id(stmt), frozenset())
            else:
                continue
            if not classes or not all(k.has_machine for k in classes) or not model.one_class(classes):
                continue
            cls = representative(classes)
            names = c.names | c.strs
            if not names <= set(cls.members):
                continue
            problem = _set_problem(cls, kind, names, extra)
            if problem is not None:
                hint = "list exactly the terminal states" if kind == "terminal" else "list only active states"
                yield self.report(target, name=name, problem=problem, hint=hint)
        yield from self._predicates(ctx, a, extra)

    def _predicates(self, ctx: "Context", a: Analysis, extra: tuple[str, ...]) -> Iterator[Finding]:
        """``def is_done(self): return self.state in {...}``: a done-predicate inherits its set's hole."""
        for fn in ctx.sites(cst.FunctionDef):
            if name_kind(fn.name.value) != "terminal":
                continue
            comp = _sole_return(fn)
            if not isinstance(comp, cst.Comparison) or len(comp.comparisons) != 1:
                continue
            if not isinstance(comp.comparisons[0].operator, cst.In):
                continue
            coll = comp.comparisons[0].comparator
            d = dotted(coll)
            if d is not None and set(name_words(d.rsplit(".", 1)[-1])) & (_TERMINAL_WORDS | _ACTIVE_WORDS | _QUALIFIERS):
                continue  # a named set that says what it is: judged where it is defined, or a deliberate subset
            c = a.consts.consts(coll)
            if c is None:
                continue
            subject = a.subject(comp.left)
            if c.only_members:
                classes = c.classes
                if subject is not None and not any(compatible(classes, k) for k in subject.classes):
                    continue  # another enum's state: JS105
            elif c.strs and not c.items and not c.ints and subject is not None and _shows_str_states(subject):
                classes = subject.classes  # ``batch_job.state in {"JOB_STATE_SUCCEEDED", ...}``
            else:
                continue
            if not all(k.has_machine for k in classes) or not model.one_class(classes):
                continue
            cls = representative(classes)
            if not c.strs <= set(cls.members):
                continue
            problem = _predicate_problem(cls, c.names | c.strs, extra)
            if problem is not None:
                yield self.report(comp, name=f"{fn.name.value}()", problem=problem,
                                  hint="test membership in exactly the terminal states")


def _sole_return(fn: cst.FunctionDef) -> Optional[cst.BaseExpression]:
    """The value of a function's one ``return`` when it ends a straight body (assignments and calls before it,
    no branch, loop or ``raise`` that could end the predicate another way)."""
    stmts: list[cst.CSTNode] = []
    for st in body_of(fn.body):
        if isinstance(st, cst.BaseSmallStatement):  # ``def is_done(s): return ...`` on one line
            stmts.append(st)
        elif isinstance(st, cst.SimpleStatementLine):
            stmts.extend(st.body)
        else:
            return None
    if not stmts or not isinstance(stmts[-1], cst.Return):
        return None
    if not all(isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign)) for small in stmts[:-1]):
        return None
    return stmts[-1].value


def _set_problem(cls: EnumClass, kind: str, names: frozenset[str], extra: tuple[str, ...]) -> Optional[str]:
    terminal = model.terminal_members(cls, extra)
    if kind == "terminal":
        missing = ordered(cls, terminal - names)
        active = ordered(cls, names & model.active_members(cls))
        if missing and active:
            return f"lacks terminal {_names(missing)} and holds active {_names(active)}"
        if missing:
            return f"lacks terminal {_names(missing)}, so a wait on it hangs there"
        if active:
            return f"holds active {_names(active)}, so a wait on it stops while the job is alive"
        return None
    done = ordered(cls, names & terminal)
    return f"holds terminal {_names(done)}, so a wait on it never ends" if done else None


def _predicate_problem(cls: EnumClass, names: frozenset[str], extra: tuple[str, ...]) -> Optional[str]:
    missing = ordered(cls, model.terminal_members(cls, extra) - names)
    active = ordered(cls, names & model.active_members(cls))
    if missing and active:
        return f"is never true on terminal {_names(missing)} and true on active {_names(active)}"
    if missing:
        return f"is never true on terminal {_names(missing)}, so a wait on it hangs there"
    if active:
        return f"is true on active {_names(active)}, so a wait on it stops while the job is alive"
    return None


def _all_collections(ctx: "Context") -> Iterator[tuple[str, cst.CSTNode, cst.BaseExpression, cst.CSTNode]]:
    """(name, target, value, statement) of module-, class- and function-level assignments of a name."""
    yield from named_collections(ctx.module)
    r = ctx.resolver
    for assign in ctx.sites(cst.Assign):
        if r.scope_for(assign).kind != "function":
            continue
        for t in assign.targets:
            if isinstance(t.target, cst.Name):
                yield t.target.value, t.target, assign.value, assign


def _shows_str_states(s: Subject) -> bool:
    """Strings tested against this are state names: a google-genai (str) state, or a state's ``.name``."""
    return s.mode == "name" or (s.mode == "state" and all(k.kind == model.STR for k in s.classes))


def _str_set_uses(a: Analysis) -> dict[int, frozenset[EnumClass]]:
    """Statement id of a str collection -> the class of the states it is tested against (``x in S``, where ``x``
    is a google-genai state or a state's ``.name``); a collection also tested against a proto state is left out
    (str vs proto enum is JS102's)."""
    found: dict[int, set[EnumClass]] = {}
    bad: set[int] = set()
    for comp in a.ctx.sites(cst.Comparison):
        left = comp.left
        for target in comp.comparisons:
            right = target.comparator
            if isinstance(target.operator, (cst.In, cst.NotIn)) and isinstance(right, cst.Name):
                v = a.resolver.resolve(right)
                s = a.subject(left) if isinstance(v, Chain) and not v.attrs else None
                if s is not None:
                    assert isinstance(v, Chain)
                    if _shows_str_states(s):
                        found.setdefault(v.tag, set()).update(s.classes)
                    else:
                        bad.add(v.tag)
            left = right
    return {k: frozenset(v) for k, v in found.items() if k not in bad and model.one_class(v)}


# ---------------------------------------------------------------------------------------------------------------
# JS205
# ---------------------------------------------------------------------------------------------------------------


class NonExhaustiveStateMatch(Rule):
    """A `match` on a state that misses terminal states and has no wildcard case.

    ## What it does
    Finds `match` statements on a state (Vertex proto enums and google-genai's str `JobState`) without an
    unguarded wildcard or capture case (`case _:`, `case other:`) whose cases miss a terminal state. Guarded
    cases (`case X if ...`) do not count as covering `X`.

    ## Why is this bad?
    The missing states fall through silently: a job that ends EXPIRED is neither reported as a failure nor as
    a success.

    ## Example
    ```python
    from google.cloud.aiplatform_v1 import JobState

    def describe(state: JobState) -> str:
        match state:
            case JobState.JOB_STATE_SUCCEEDED:
                return "done"
            case JobState.JOB_STATE_FAILED | JobState.JOB_STATE_CANCELLED:
                return "failed"
        return "running"
    ```

    ## Use instead
    ```python
    from google.cloud.aiplatform_v1 import JobState

    def describe(state: JobState) -> str:
        match state:
            case JobState.JOB_STATE_SUCCEEDED:
                return "done"
            case JobState.JOB_STATE_FAILED | JobState.JOB_STATE_CANCELLED:
                return "failed"
            case JobState.JOB_STATE_EXPIRED | JobState.JOB_STATE_PARTIALLY_SUCCEEDED:
                return "incomplete"
            case _:
                return "running"
    ```

    ## Fix safety
    No fix.

    ## Options
    {options}

    ## References
    - [PEP 636: structural pattern matching](https://peps.python.org/pep-0636/)
    """

    code = "JS205"
    name = "non-exhaustive-state-match"
    summary = "match on a state without wildcard that misses terminal states"
    message = "match on a state has no case for {missing} and no `case _`; add them or a wildcard case"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        a = analysis_for(ctx)
        extra = ctx.config.extra_terminal_states
        for m in ctx.sites(cst.Match):
            subject = a.subject(m.subject)
            if subject is None or subject.mode not in ("state", "name"):
                continue
            if not all(c.has_machine for c in subject.classes) or not model.one_class(subject.classes):
                continue
            covered: set[str] = set()
            sure = True
            for case in m.cases:
                pat = a.case_cond(subject, case)
                if case.guard is not None:
                    if is_broken(pat):
                        sure = False
                    continue
                members = _covered(pat)
                if members is None:
                    sure = False
                    break
                if members == "all":
                    sure = False  # irrefutable case: exhaustive
                    break
                covered |= members
            if not sure:
                continue
            cls = representative(subject.classes)
            missing = model.terminal_members(cls, extra) - covered
            if missing:
                yield self.report(m, missing=_names(ordered(cls, missing)))


def _covered(c: object) -> "Optional[set[str] | str]":
    """Members a case pattern matches; "all" for a wildcard/capture; None when not understood."""
    if c is TRUE:
        return "all"
    if isinstance(c, Atom):
        return set(c.members) if c.members is not None else None
    if isinstance(c, Or):
        out: set[str] = set()
        for p in c.parts:
            sub = _covered(p)
            if sub is None:
                return None
            if sub == "all":
                return "all"
            out |= sub  # type: ignore[arg-type]
        return out
    if c is BROKEN or c is OTHER:
        return None
    return None


# ---------------------------------------------------------------------------------------------------------------
# JS206
# ---------------------------------------------------------------------------------------------------------------

_MUTATORS = frozenset({"update", "setdefault", "__setitem__", "pop", "popitem", "clear"})
_KEY_ERRORS = frozenset({"KeyError", "LookupError", "Exception", "BaseException"})


class IncompleteStateMap(Rule):
    """A dict keyed by the states of one enum, looked up with a state, that lacks some of them.

    ## What it does
    Finds dict literals (inline, or bound to a name at module, class or function level, `self._MAP` included)
    whose keys are states of one enum and that are subscripted with a state of that enum (`m[state]`,
    `m[int(state)]`, `m[job.state]`, `m[state.name]` for maps keyed by names, google-genai's str `JobState`
    too) but lack some of the states a job can be in. Keys count by what they are: members, member names for
    name-keyed maps, and raw ints for maps looked up with `int(state)` or the state itself
    (`{0: ..., 9: ...}` lacks 10 and 11; JS101 reports each raw int key separately, as a different cause).
    `JOB_STATE_UNSPECIFIED` / `PIPELINE_STATE_UNSPECIFIED` is not required: a job read from the service is
    never in it after creation (only a default-constructed message is).
    Silent when the lookup cannot raise on those states: `.get(state)` / `.get(state, default)` (not a
    subscript), `collections.defaultdict` and `dict(...)` (not a literal), a map that is changed after it is
    built (`m[k] = v`, `m.update(...)`, `m.setdefault(...)`), a function that tests the looked-up state
    (`if state in m`, `if state not in TERMINAL: return`, a `match`, or passes it to a predicate such as
    `is_done(state)` / `has_finished(state)`) anywhere in its body, and a lookup inside
    a `try` that catches `KeyError`. Maps keyed by another enum (Dataflow, the user's own) are never checked.

    ## Why is this bad?
    The lookup raises KeyError on the first job in a missing state: a launcher that maps Vertex states to its
    own statuses crashes when a job expires, is updated or partially succeeds, states that are rare in testing.

    ## Example
    ```python
    from google.cloud.aiplatform_v1 import JobState

    STATUS = {
        JobState.JOB_STATE_SUCCEEDED: "done",
        JobState.JOB_STATE_FAILED: "failed",
        JobState.JOB_STATE_CANCELLED: "cancelled",
        JobState.JOB_STATE_RUNNING: "running",
    }


    def status(state: JobState) -> str:
        return STATUS[state]
    ```

    ## Use instead
    ```python
    from google.cloud.aiplatform_v1 import JobState

    STATUS = {
        JobState.JOB_STATE_SUCCEEDED: "done",
        JobState.JOB_STATE_FAILED: "failed",
        JobState.JOB_STATE_CANCELLED: "cancelled",
        JobState.JOB_STATE_RUNNING: "running",
    }


    def status(state: JobState) -> str:
        return STATUS.get(state, "other")
    ```

    ## Fix safety
    No fix: the value for the missing states is a design decision.

    ## Options
    None (the states a job can be in do not depend on `--jobstate-terminal-states`).

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    """

    code = "JS206"
    name = "incomplete-state-map"
    summary = "dict keyed by states, looked up with a state, that lacks some states"
    message = "map of {cls} states {problem}: {lookup} raises KeyError for a job in {which}; list every state or use .get() with a default"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        candidates: list[tuple[cst.Subscript, cst.Dict]] = []
        for sub in ctx.sites(cst.Subscript):
            if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
                continue
            base = ctx.resolve(sub.value)  # cheap (memoised); dict literals are rare
            if isinstance(base, DictLit) and base.node.elements:
                candidates.append((sub, base.node))
        if not candidates:
            return
        a = analysis_for(ctx)
        checker = _MapLookups(a)
        reported: set[int] = set()
        for sub, d in candidates:
            if id(d) in reported:
                continue
            found = checker.missing(sub, d)
            if found is None:
                continue
            cls, covered, missing = found
            reported.add(id(d))
            lookup = ctx.code(sub)
            if len(lookup) > 40 and isinstance(sub.value, cst.Dict):
                lookup = "{...}[" + ctx.code(sub.slice[0].slice.value) + "]"  # type: ignore[attr-defined]
            if len(missing) > len(covered):
                problem, which = f"covers only {_short(cls, ordered(cls, covered))}", "any other state"
            else:
                problem, which = f"lacks {_short(cls, missing)}", "those states"
            yield self.report(d, cls=cls.display, problem=problem, which=which,
                              lookup=lookup if len(lookup) <= 40 else "the lookup")


class _MapLookups:
    """What JS206 needs to know about dicts and their lookups (computed only for files with candidates)."""

    def __init__(self, analysis: Analysis) -> None:
        self.a = analysis
        self._stores: Optional[set[int]] = None  # ids of subscripts that are written, not read
        self._mutated: Optional[set[int]] = None  # ids of dict literals changed after they are built
        self._guarded: Optional[set[int]] = None  # ids of nodes inside a ``try`` that catches KeyError
        self._tested: Optional[dict[int, set[Optional[str]]]] = None  # function node id -> tested state keys
        self._in_map: Optional[set[int]] = None  # ids of dicts used on the right of ``in``

    def missing(self, sub: cst.Subscript, d: cst.Dict) -> Optional[tuple[EnumClass, set[str], list[str]]]:
        """(class, members the keys cover, members a job can be in that they miss) for a lookup that can raise."""
        a = self.a
        index = sub.slice[0].slice
        assert isinstance(index, cst.Index)
        subject = a.subject(index.value)
        if subject is None or subject.mode == "rendered":
            return None
        classes = subject.classes
        if not all(c.has_machine for c in classes) or not model.one_class(classes):
            return None
        cls = representative(classes)
        covered = self._keys(d, subject.mode, classes, cls)
        if covered is None:
            return None
        missing = ordered(cls, model.possible_members(cls) - covered)
        if not missing or self._silenced(sub, d, subject.key):
            return None
        return cls, covered, missing

    def _keys(self, d: cst.Dict, mode: str, classes: frozenset[EnumClass], cls: EnumClass) -> Optional[set[str]]:
        """The members the keys stand for, or None when a key is not understood or cannot match the lookup."""
        covered: set[str] = set()
        for el in d.elements:
            if not isinstance(el, cst.DictElement):
                return None  # ``**other``: keys unknown
            c = self.a.consts.consts(el.key)
            if c is None or len(c.items) + len(c.strs) + len(c.ints) != 1:
                return None
            if c.items:
                k_cls, m = next(iter(c.items))
                if mode == "name" or not compatible(classes, k_cls):
                    return None
                if mode == "state" and len(classes) == 1 and k_cls not in classes:
                    return None  # a v1 key never equals a v1beta1 state: every lookup fails (JS105's cause)
                if mode == "int" and k_cls.kind != model.PROTO:
                    return None
                covered.add(m)
            elif c.ints:
                m = cls.member_for_int(next(iter(c.ints))) if cls.kind == model.PROTO and mode in ("state", "int") else None
                if m is None:
                    return None  # out of range (JS104), or an int where a name or str state is looked up
                covered.add(m)
            else:
                s = next(iter(c.strs))
                str_state = mode == "state" and cls.kind == model.STR
                if not (mode == "name" or str_state) or s not in cls.members:
                    return None
                covered.add(s)
        return covered

    # -- when a lookup cannot raise ------------------------------------------------------------------------

    def _silenced(self, sub: cst.Subscript, d: cst.Dict, key: Optional[str]) -> bool:
        if self._stores is None:
            self._index()
        assert self._stores is not None and self._mutated is not None and self._guarded is not None
        assert self._in_map is not None
        if id(sub) in self._stores or id(d) in self._mutated or id(d) in self._in_map or id(sub) in self._guarded:
            return True
        if key is None:
            return True  # the looked-up state has no stable spelling: cannot tell whether it is tested
        return key in self._tested_keys(sub)

    def _tested_keys(self, node: cst.CSTNode) -> set[Optional[str]]:
        a = self.a
        fscope = a.resolver.scope_for(node).function()
        owner = fscope.node if fscope is not None else a.ctx.module
        if self._tested is None:
            self._tested = {}
            for comp in a.ctx.sites(cst.Comparison):
                keys = self._tested.setdefault(id(self._owner(comp)), set())
                left = comp.left
                for target in comp.comparisons:
                    for side in (left, target.comparator):
                        s = a.subject(side)
                        if s is not None:
                            keys.add(s.key)
                    left = target.comparator
            for m in a.ctx.sites(cst.Match):
                s = a.subject(m.subject)
                if s is not None:
                    self._tested.setdefault(id(self._owner(m)), set()).add(s.key)
            # ``if not is_done(job.state): return``: a predicate given the state tests it too
            for call in a.ctx.sites(cst.Call):
                callee = call.func.attr.value if isinstance(call.func, cst.Attribute) else (
                    call.func.value if isinstance(call.func, cst.Name) else "")
                if not callee or not (callee.startswith(("is_", "has_")) or name_kind(callee) is not None):
                    continue
                for arg in call.args:
                    s = a.subject(arg.value)
                    if s is not None:
                        self._tested.setdefault(id(self._owner(call)), set()).add(s.key)
            # ``for state in TERMINAL: m[state]``: the loop variable takes only the iterated states
            for loop in a.ctx.sites(cst.For):
                names = self._tested.setdefault(id(self._owner(loop)), set())
                stack: list[cst.CSTNode] = [loop.target]
                while stack:
                    t = stack.pop()
                    if isinstance(t, cst.Name):
                        names.add(t.value)
                    elif isinstance(t, (cst.Tuple, cst.List)):
                        stack.extend(el.value for el in t.elements)
        return self._tested.get(id(owner), set())

    def _owner(self, node: cst.CSTNode) -> cst.CSTNode:
        fscope = self.a.resolver.scope_for(node).function()
        return fscope.node if fscope is not None else self.a.ctx.module

    def _index(self) -> None:
        a = self.a
        r = a.resolver
        self._stores, self._mutated, self._guarded, self._in_map = set(), set(), set(), set()

        def dict_of(expr: cst.BaseExpression) -> Optional[cst.Dict]:
            v = r.resolve(expr)
            return v.node if isinstance(v, DictLit) else None

        def store(target: cst.CSTNode) -> None:
            if isinstance(target, cst.Subscript):
                assert self._stores is not None and self._mutated is not None
                self._stores.add(id(target))
                d = dict_of(target.value)
                if d is not None:
                    self._mutated.add(id(d))
            elif isinstance(target, (cst.Tuple, cst.List)):
                for el in target.elements:
                    store(el.value)

        for call in a.ctx.sites(cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _MUTATORS:
                d = dict_of(call.func.value)
                if d is not None:
                    self._mutated.add(id(d))
        for comp in a.ctx.sites(cst.Comparison):
            for target in comp.comparisons:
                if isinstance(target.operator, (cst.In, cst.NotIn)):
                    d = dict_of(target.comparator)
                    if d is not None:
                        self._in_map.add(id(d))
        # stores: ``m[k] = v``, ``m[k] += 1``, ``del m[k]`` (one walk of the tree)
        stack: list[cst.CSTNode] = [a.ctx.module]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign):
                for t in node.targets:
                    store(t.target)
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.Del)):
                store(node.target)
            stack.extend(children(node))
        self._guarded = guarded_by_try(a.ctx.module, _KEY_ERRORS)


# the Options sections share one text
for _rule in (WaitLoopMissesTerminalState, WaitLoopExitsOnActiveState, IncompleteStateSet, NonExhaustiveStateMatch):
    _rule.doc_fragments = {"options": _OPTION_DOC}
