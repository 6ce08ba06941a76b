"""JS1xx: values and comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Union

import libcst as cst

from .. import model
from ..model import EnumClass
from ..project import Consts
from ..resolver import (
    BadMember,
    Chain,
    ClassRef,
    Coll,
    DictLit,
    EnumRef,
    IntOf,
    NameOf,
    Obj,
    Path,
    Rendered,
    StateVal,
    container_elements,
    dotted,
    int_literal,
    str_literal,
)
from .base import SAFE, UNSAFE, Edit, Finding, Fix, Rule, guarded_by_try

if TYPE_CHECKING:
    from ..context import Context

_EQ = (cst.Equal, cst.NotEqual)
_MEMBERSHIP = (cst.In, cst.NotIn)
_ORDER = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def pairs(comp: cst.Comparison) -> Iterator[tuple[cst.BaseExpression, cst.BaseCompOp, cst.BaseExpression]]:
    left = comp.left
    for target in comp.comparisons:
        yield left, target.operator, target.comparator
        left = target.comparator


def sides(ctx: "Context", ops: tuple[type, ...]) -> Iterator[
        tuple[cst.Comparison, cst.BaseCompOp, cst.BaseExpression, cst.BaseExpression, bool, object]]:
    """Every comparison pair with an operator in ``ops``, from both sides: (comparison, operator, this side,
    the other side, whether this side is the left one, what this side is)."""
    for comp in ctx.sites(cst.Comparison):
        for a, op, b in pairs(comp):
            if isinstance(op, _MEMBERSHIP) and str_literal(b) is not None:
                continue  # ``x in "A B"`` is a substring test, not a membership test
            if isinstance(op, ops):
                yield comp, op, a, b, True, ctx.state_of(a)
                yield comp, op, b, a, False, ctx.state_of(b)


def _quote(original: cst.BaseExpression, text: str) -> str:
    q = '"'
    if isinstance(original, cst.SimpleString):
        q = original.quote if original.quote in ("'", '"') else '"'
    return f"{q}{text}{q}"


def _vertex(v: object) -> bool:
    return isinstance(v, StateVal) and v.proto and bool(v.classes)


def _str_elements(node: cst.BaseExpression) -> Optional[list[tuple[cst.BaseExpression, str]]]:
    """A str literal, or a container of only str literals: [(node, value)]."""
    s = str_literal(node)
    if s is not None:
        return [(node, s)]
    els = container_elements(node)
    if not els:
        return None
    out = []
    for el in els:
        s = str_literal(el)
        if s is None:
            return None
        out.append((el, s))
    return out


def named(ctx: "Context", node: cst.BaseExpression, scalar: bool) -> Optional[Consts]:
    """What a named constant or container holds where an inline literal would be written: ``NAMES``,
    ``self.CODES``, ``Class.X``, a set imported from a sibling module, ``frozenset(NAMES)``, ``A | B``.
    ``scalar``: one str/int (for ``==``) rather than a container (for ``in``). None for literals (the rules
    read them where they are written) and for anything unknown."""
    if not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.BinaryOperation)) or container_elements(node) is not None:
        return None
    c = ctx.consts.consts(node)
    if c is None or c.scalar != scalar:
        return None
    return c


def named_strs(ctx: "Context", node: cst.BaseExpression, scalar: bool) -> Optional[list[tuple[cst.BaseExpression, str]]]:
    """A named constant of only strs, as [(the name's node, each str)] (reported where the name is used)."""
    c = named(ctx, node, scalar)
    if c is None or not c.strs or c.items or c.ints:
        return None
    return [(node, s) for s in sorted(c.strs)]


def _int_elements(node: cst.BaseExpression) -> list[tuple[cst.BaseExpression, int]]:
    els = container_elements(node)
    if els is None:
        return []
    return [(el, i) for el in els if (i := int_literal(el)) is not None]


def _full_name(classes: Iterable[EnumClass], s: str) -> Optional[str]:
    """The one member of ``classes`` that ``s`` means (``SUCCEEDED`` -> ``JOB_STATE_SUCCEEDED``)."""
    names = {c.full(s) for c in classes}
    names.discard(None)
    return names.pop() if len(names) == 1 else None  # type: ignore[return-value]


def _is_member_name(classes: Iterable[EnumClass], s: str) -> bool:
    return any(s in c.members for c in classes)


def _display_classes(v: StateVal) -> str:
    return v.exact.display if v.exact else v.any_cls.name


# ---------------------------------------------------------------------------------------------------------------


class RawIntState(Rule):
    """Raw int used as a Vertex proto state.

    ## What it does
    Finds int literals used as Vertex `JobState` / `PipelineState` values: compared with a state (`==`, `!=`,
    ordering, `in` a container of ints), an element of a container that also holds members, `JobState(4)`,
    `state=4` in a Vertex message constructor, `x.state = 4` on a Vertex message, the default of a parameter
    annotated with the enum, `return 4` in a function annotated `-> JobState`, `int(state) == 4`,
    `state.value == 4`, `case 4:` on a state, and raw-int keys of a dict that is indexed with a state. A named
    int constant or container of ints (`x in CODES`, also imported from a sibling module) counts as the literal,
    reported on the comparison's line, without a fix (the ints are written elsewhere).

    ## Why is this bad?
    The number hides the meaning, and the same number means something else in a look-alike enum: Dataflow's
    `JOB_STATE_FAILED` is 4, Vertex's 4 is `JOB_STATE_SUCCEEDED`. Raw-int tables also go stale when members are
    added (`{0: ..., 9: ...}[int(job.state)]` raises KeyError on 10 and 11; JS206 reports the states such a
    table lacks, JS101 each raw int key).

    ## Example
    ```python
    from google.cloud import aiplatform_v1

    job = aiplatform_v1.JobServiceClient().get_custom_job(name="projects/p/locations/l/customJobs/1")
    if job.state == 4:
        print("done")
    ```

    ## Use instead
    ```python
    from google.cloud import aiplatform_v1

    job = aiplatform_v1.JobServiceClient().get_custom_job(name="projects/p/locations/l/customJobs/1")
    if job.state == aiplatform_v1.JobState.JOB_STATE_SUCCEEDED:
        print("done")
    ```
    (`flake8-jobstate fix` writes the member through the module's existing import of the enum, or adds
    `from google.cloud.aiplatform_v1 import JobState`.)

    ## Fix safety
    Safe: a proto-plus enum member equals its int, so the comparison keeps its meaning. The fix is offered only
    when the exact class (v1 or v1beta1, JobState or PipelineState) is known; it is never applied to ints of
    other enums (Dataflow, Batch, ...).

    ## Options
    `--jobstate-state-attributes`, `--jobstate-extra-modules` widen what counts as a state.

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    """

    code = "JS101"
    name = "raw-int-state"
    summary = "int literal used as a proto state"
    message = "raw int {value} used as {display}; use {cls}.{member}"
    fix = SAFE

    def _int(self, ctx: "Context", node: cst.BaseExpression, value: int, v: StateVal) -> Optional[Finding]:
        """JS101 for an in-range int of a state's class (JS104 handles the rest)."""
        cls = v.exact or v.any_cls
        member = cls.member_for_int(value)
        if member is None:
            return None
        fix = None
        call = ctx.resolver.parents_call.get(id(node))
        if int_literal(node) is None:
            pass  # a named constant: its definition is elsewhere, no edit here
        elif call is not None and v.exact is not None:
            # ``JobState(4)`` -> ``JobState.JOB_STATE_SUCCEEDED``, through the very spelling of the call
            fix = Fix((Edit(call, f"{ctx.code(call.func)}.{member}"),), safe=True, title=f"use {cls.name}.{member}")
        elif v.exact is not None:
            code, imports = ctx.member_expr(v.exact, member, node)
            if code is not None:
                fix = Fix((Edit(node, code),), safe=True, imports=imports, title=f"use {cls.name}.{member}")
        display = v.exact.display if v.exact is not None else cls.name
        return self.report(node, fix, value=value, display=display, cls=cls.name, member=member)

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for node, value, v in int_uses(ctx):
            f = self._int(ctx, node, value, v)
            if f is not None:
                yield f


def int_uses(ctx: "Context") -> Iterator[tuple[cst.BaseExpression, int, StateVal]]:
    """Every int literal used as a Vertex proto state (JS101 when in range, JS104 when not)."""
    # comparisons
    for comp in ctx.sites(cst.Comparison):
        for a, op, b in pairs(comp):
            for x, y in ((a, b), (b, a)):
                v = ctx.state_of(x)
                if isinstance(v, IntOf):
                    v = v.state
                if not _vertex(v):
                    continue
                assert isinstance(v, StateVal)
                if isinstance(op, _EQ + _ORDER):
                    i = int_literal(y)
                    if i is not None:
                        yield y, i, v
                    elif (c := named(ctx, y, scalar=True)) is not None and c.ints and not c.strs:
                        yield y, next(iter(c.ints)), v
                elif isinstance(op, _MEMBERSHIP) and x is a:
                    for el, i in _int_elements(y):
                        yield el, i, v
                    c = named(ctx, y, scalar=False)
                    if c is not None and c.ints and not c.strs:
                        for i in sorted(c.ints):
                            yield y, i, v
    # containers that mix members and ints: a set-like literal (only members and ints, and a tuple only
    # from three elements: ``(JobState.X, 3)`` is more often a record, e.g. a test parameter pair)
    for t in (cst.Tuple, cst.List, cst.Set):
        for node in ctx.sites(t):
            els = container_elements(node)
            if not els or (t is cst.Tuple and len(els) < 3):
                continue
            members = [ctx.state_of(e) for e in els]
            if not all((isinstance(m, StateVal) and m.literal) or int_literal(e) is not None
                       for m, e in zip(members, els)):
                continue
            classes = {c for m in members if isinstance(m, StateVal) and m.literal for c in m.classes}
            if not classes or not all(c.kind == model.PROTO for c in classes):
                continue
            if not model.one_class(classes):
                continue
            v = StateVal(frozenset(classes))
            for el in els:
                i = int_literal(el)
                if i is not None:
                    yield el, i, v
    # JobState(4)
    for call in ctx.sites(cst.Call):
        f = ctx.resolve(call.func)
        if isinstance(f, EnumRef) and f.cls.kind == model.PROTO and len(call.args) == 1 and not call.args[0].keyword:
            i = int_literal(call.args[0].value)
            if i is not None:
                ctx.resolver.parents_call[id(call.args[0].value)] = call
                yield call.args[0].value, i, StateVal(frozenset({f.cls}))
        elif isinstance(f, ClassRef) and f.kind.is_message:
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == f.kind.state_attr:
                    i = int_literal(arg.value)
                    if i is not None:
                        yield arg.value, i, StateVal(frozenset({f.kind.enum}))
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "get" and len(call.args) >= 1:
            base = ctx.state_of(call.func.value)
            yield from _dict_keys(ctx, base, call.args[0].value)
    # x.state = 4 on a Vertex message
    for assign in ctx.sites(cst.Assign):
        i = int_literal(assign.value)
        if i is None:
            continue
        for t in assign.targets:
            tgt = t.target
            if isinstance(tgt, cst.Attribute):
                base = ctx.resolve(tgt.value)
                if isinstance(base, Obj) and base.kind.is_message and tgt.attr.value == base.kind.state_attr:
                    yield assign.value, i, StateVal(base.kind.enums)
    # parameter defaults and returns
    for fn in ctx.sites(cst.FunctionDef):
        for p in list(fn.params.params) + list(fn.params.kwonly_params) + list(fn.params.posonly_params):
            ann = ctx.resolver.param_annotations.get(id(p))
            if isinstance(ann, EnumRef) and ann.cls.kind == model.PROTO and p.default is not None:
                i = int_literal(p.default)
                if i is not None:
                    yield p.default, i, StateVal(frozenset({ann.cls}))
    for ret in ctx.sites(cst.Return):
        if ret.value is None:
            continue
        fscope = ctx.resolver.scope_for(ret).function()
        cls = fscope.returns if fscope is not None else None
        if cls is not None and cls.kind == model.PROTO:
            i = int_literal(ret.value)
            if i is not None:
                yield ret.value, i, StateVal(frozenset({cls}))
    # dict indexed with a state
    for sub in ctx.sites(cst.Subscript):
        if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
            yield from _dict_keys(ctx, ctx.state_of(sub.value), sub.slice[0].slice.value)
    # match on a state
    for m in ctx.sites(cst.Match):
        v = ctx.state_of(m.subject)
        if isinstance(v, IntOf):
            v = v.state
        if _vertex(v):
            assert isinstance(v, StateVal)
            for case_node, _ in _match_values(m):
                i = int_literal(case_node)
                if i is not None:
                    yield case_node, i, v


def _dict_keys(ctx: "Context", base: object, index: cst.BaseExpression) -> Iterator[tuple[cst.BaseExpression, int, StateVal]]:
    if not isinstance(base, DictLit):
        return
    v = ctx.state_of(index)
    if isinstance(v, IntOf):
        v = v.state
    if not _vertex(v):
        return
    assert isinstance(v, StateVal)
    if not _only_looked_up_with(ctx, base.node, v):
        return  # also looked up with something else (another enum's ints, an unknown): the ints may mean that
    for el in base.node.elements:
        if isinstance(el, cst.DictElement):
            i = int_literal(el.key)
            if i is not None:
                yield el.key, i, v


def _only_looked_up_with(ctx: "Context", node: cst.Dict, v: StateVal) -> bool:
    """Whether every lookup of the dict literal ``node`` (``d[x]``, ``d.get(x)``) is with a state of ``v``'s class."""
    for sub in ctx.sites(cst.Subscript):
        if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
            other = ctx.resolve(sub.value)
            if isinstance(other, DictLit) and other.node is node and not _same_state(ctx, sub.slice[0].slice.value, v):
                return False
    for call in ctx.sites(cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "get" and call.args:
            other = ctx.resolve(call.func.value)
            if isinstance(other, DictLit) and other.node is node and not _same_state(ctx, call.args[0].value, v):
                return False
    return True


def _same_state(ctx: "Context", index: cst.BaseExpression, v: StateVal) -> bool:
    w = ctx.state_of(index)
    if isinstance(w, IntOf):
        w = w.state
    return isinstance(w, StateVal) and model.one_class(w.classes | v.classes)


def _match_values(m: cst.Match) -> Iterator[tuple[cst.BaseExpression, cst.MatchCase]]:
    for case in m.cases:
        pats = case.pattern.patterns if isinstance(case.pattern, cst.MatchOr) else [case.pattern]
        for p in pats:
            pat = p.pattern if isinstance(p, cst.MatchOrElement) else p
            if isinstance(pat, cst.MatchValue):
                yield pat.value, case


# ---------------------------------------------------------------------------------------------------------------


class StrComparedWithProtoState(Rule):
    """A Vertex proto state compared with a str.

    ## What it does
    Finds `==`, `!=`, `in` and `not in` between a Vertex proto state (`JobState`, `PipelineState`, v1 or
    v1beta1) and a str literal or a container of str literals, and `case "JOB_STATE_X":` on a proto state. A
    named constant or container of strs (module or class constant, `self.X`, a set imported from a sibling
    module, `frozenset(NAMES)`) counts as the literal would, reported on the comparison's line, without a fix.

    ## Why is this bad?
    proto-plus enums are IntEnums whose `__eq__` accepts only the same class or a plain int, so a comparison
    with any str is always False (`!=` always True): a waiter that checks `job.state == "JOB_STATE_FAILED"`
    never sees the failure. (google-genai's `JobState` is a str enum: comparing it with strings is correct
    and not reported.)

    ## Example
    ```python
    from google.cloud import aiplatform_v1

    job = aiplatform_v1.JobServiceClient().get_custom_job(name="n")
    if job.state == "JOB_STATE_FAILED":
        raise RuntimeError(job.error)
    ```

    ## Use instead
    ```python
    from google.cloud import aiplatform_v1

    job = aiplatform_v1.JobServiceClient().get_custom_job(name="n")
    if job.state == aiplatform_v1.JobState.JOB_STATE_FAILED:
        raise RuntimeError(job.error)
    ```

    ## Fix safety
    Unsafe: the code starts behaving differently (the branch can now run). When the exact class is known the
    str becomes that class's member (never a v1 member for a v1beta1 value); otherwise the comparison becomes
    `state.name == "JOB_STATE_X"`. A str that names no member (after adding the prefix) gets no fix.

    ## Options
    None.

    ## References
    - [proto-plus enums](https://proto-plus-python.readthedocs.io/en/stable/fields.html#enumerations)
    """

    code = "JS102"
    name = "str-compared-with-proto-state"
    summary = "proto state compared with a str: always False"
    message = "{cls} compared with str {strings}; always {result} (a proto enum never equals a str), {hint}"
    fix = UNSAFE

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for comp, op, x, y, is_left, v in sides(ctx, _EQ + _MEMBERSHIP):
            if not _vertex(v) or (isinstance(op, _MEMBERSHIP) and not is_left):
                continue
            assert isinstance(v, StateVal)
            strs = _str_elements(y)
            is_named = not strs
            if is_named:
                strs = named_strs(ctx, y, scalar=isinstance(op, _EQ))
            if not strs or (isinstance(op, _EQ) and (len(strs) != 1 or container_elements(y) is not None)):
                continue
            yield self._finding(ctx, comp, x, v, strs, negated=isinstance(op, (cst.NotEqual, cst.NotIn)),
                                named_node=y if is_named else None)
        for m in ctx.sites(cst.Match):
            v = ctx.state_of(m.subject)
            if _vertex(v):
                assert isinstance(v, StateVal)
                for value, _case in _match_values(m):
                    s = str_literal(value)
                    if s is not None:
                        yield self._finding(ctx, value, None, v, [(value, s)], negated=False)

    def _finding(self, ctx: "Context", at: cst.CSTNode, state_node: Optional[cst.BaseExpression], v: StateVal,
                 strs: list[tuple[cst.BaseExpression, str]], negated: bool,
                 named_node: Optional[cst.BaseExpression] = None) -> Finding:
        fulls = [_full_name(v.classes, s) for _, s in strs]
        fix = None
        hint = "compare with the member"
        if all(fulls):
            edits: list[Edit] = []
            imports: tuple = ()
            if v.exact is not None:
                for (node, _), full in zip(strs, fulls):
                    code, imps = ctx.member_expr(v.exact, full, node)  # type: ignore[arg-type]
                    if code is None:
                        break
                    edits.append(Edit(node, code))
                    imports = imports + tuple(i for i in imps if i not in imports)
                else:
                    fix = Fix(tuple(edits), safe=False, imports=imports, title="compare with the member")
                hint = f"use {v.exact.name}.{fulls[0]}"
            if fix is None and state_node is not None:
                edits = [Edit(state_node, f"{ctx.code(state_node)}.name")]
                edits += [Edit(node, _quote(node, full)) for (node, _), full in zip(strs, fulls)]  # type: ignore[arg-type]
                fix = Fix(tuple(edits), safe=False, title="compare .name")
                if v.exact is None:
                    hint = f'compare .name == "{fulls[0]}"'
        shown = ", ".join(repr(s) for _, s in strs)
        if named_node is not None:
            fix = None  # the strings are written where the constant is defined
            shown = f"{ctx.code(named_node)} ({shown})"
        return self.report(at, fix, cls=_display_classes(v), strings=shown, result="True" if negated else "False",
                           hint=hint)


# ---------------------------------------------------------------------------------------------------------------


class UnknownStateName(Rule):
    """A str that is not a member name where a member name is required.

    ## What it does
    Finds strings that name no member in name contexts: `state.name == "SUCCEEDED"`, `.name in (...)`,
    `JobState["SUCCEEDED"]`, `CustomJob(state="SUCCEEDED")`, `PipelineJob(state="JOB_STATE_SUCCEEDED")`, and a
    google-genai str `JobState` compared with `"SUCCEEDED"`.

    ## Why is this bad?
    `.name` is the full name (`JOB_STATE_SUCCEEDED`), so a short or other-enum name never matches;
    `JobState["SUCCEEDED"]` and `CustomJob(state="SUCCEEDED")` raise KeyError.

    ## Example
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if job.state.name == "SUCCEEDED":
        print("done")
    ```

    ## Use instead
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if job.state.name == "JOB_STATE_SUCCEEDED":
        print("done")
    ```

    ## Fix safety
    Unsafe (behaviour changes): the string becomes the full name when exactly one member of the exact class
    matches it (`"SUCCEEDED"` -> `"JOB_STATE_SUCCEEDED"`, `"JOB_STATE_FAILED"` on a PipelineState ->
    `"PIPELINE_STATE_FAILED"`); no fix otherwise.

    ## Options
    None.

    ## References
    - [Python enum: accessing members by name](https://docs.python.org/3/library/enum.html)
    """

    code = "JS103"
    name = "unknown-state-name"
    summary = "str that names no member in a name context"
    message = "{string!r} is not a {cls} member name; {effect}, {hint}"
    fix = UNSAFE

    def _check_str(self, node: cst.BaseExpression, s: str, v: StateVal, effect: str) -> Optional[Finding]:
        if _is_member_name(v.classes, s):
            return None
        full = _full_name(v.classes, s)
        literal = str_literal(node) is not None  # else a named constant, defined elsewhere: no edit here
        fix = Fix((Edit(node, _quote(node, full)),), safe=False, title=f'use "{full}"') if full and literal else None
        hint = f'use "{full}"' if full else "no member matches"
        return self.report(node, fix, string=s, cls=_display_classes(v), effect=effect, hint=hint)

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for _comp, op, _x, y, is_left, v in sides(ctx, _EQ + _MEMBERSHIP):
            if isinstance(v, NameOf):
                v = v.state
            elif not (isinstance(v, StateVal) and v.classes and all(c.kind == model.STR for c in v.classes)):
                continue
            if not isinstance(v, StateVal) or not v.classes or (isinstance(op, _MEMBERSHIP) and not is_left):
                continue
            strs = _str_elements(y) or named_strs(ctx, y, scalar=isinstance(op, _EQ)) or []
            for node, s in strs:
                f = self._check_str(node, s, v, "never equal")
                if f:
                    yield f
        for sub in ctx.sites(cst.Subscript):
            base = ctx.resolve(sub.value)
            if isinstance(base, EnumRef) and base.cls.kind in (model.PROTO,) and len(sub.slice) == 1:
                sl = sub.slice[0].slice
                if isinstance(sl, cst.Index):
                    key = str_literal(sl.value)
                    if key is not None:
                        f = self._check_str(sl.value, key, StateVal(frozenset({base.cls})), "KeyError at run time")
                        if f:
                            yield f
        for call in ctx.sites(cst.Call):
            fn = ctx.resolve(call.func)
            if isinstance(fn, ClassRef) and fn.kind.is_message:
                for arg in call.args:
                    if arg.keyword is not None and arg.keyword.value == fn.kind.state_attr:
                        val = str_literal(arg.value)
                        if val is not None:
                            f = self._check_str(arg.value, val, StateVal(frozenset({fn.kind.enum})), "KeyError at run time")
                            if f:
                                yield f


# ---------------------------------------------------------------------------------------------------------------


class UnknownStateMember(Rule):
    """A member or value that the enum does not have.

    ## What it does
    Finds `JobState.JOB_STATE_DONE`, `JobState.SUCCEEDED`, `JobState.JOB_STATE_CANCELED` (no such member),
    `JobState(12)`, `JobState(-1)`, `JobState("JOB_STATE_SUCCEEDED")`, and ints outside the enum's range used as
    a state (`job.state == 12`, `job.state = 99`, `state=99` in a message constructor).

    ## Why is this bad?
    A missing member raises AttributeError on first use (often only when the job finishes); `JobState(12)` and
    `JobState("JOB_STATE_X")` raise ValueError; `job.state = 99` is stored silently and no job ever has it.

    ## Example
    ```python
    from google.cloud.aiplatform_v1.types import JobState

    def cancelled(state: JobState) -> bool:
        return state == JobState.JOB_STATE_CANCELED
    ```

    ## Use instead
    ```python
    from google.cloud.aiplatform_v1.types import JobState

    def cancelled(state: JobState) -> bool:
        return state == JobState.JOB_STATE_CANCELLED
    ```

    ## Fix safety
    No fix: the intended member is a guess; the message names the closest member.

    ## Options
    None.

    ## References
    - [JobState (Vertex AI API)](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState)
    """

    code = "JS104"
    name = "unknown-state-member"
    summary = "member or value the enum does not have"
    message = "{cls} has no {what}; {effect}{hint}"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for attr in ctx.sites(cst.Attribute):
            v = ctx.resolve(attr)
            if isinstance(v, BadMember) and v.cls.kind in (model.PROTO, model.STR):
                close = v.cls.closest(v.attr)
                yield self.report(attr, cls=v.cls.display, what=f"member {v.attr}", effect="AttributeError at run time",
                                  hint=f", did you mean {close}?" if close else "")
        for node, value, sv in int_uses(ctx):
            cls = sv.exact or sv.any_cls
            if cls.member_for_int(value) is None:
                lo, hi = cls.int_range()
                yield self.report(node, cls=cls.display, what=f"value {value}",
                                  effect=f"no job can have it (members are {lo}..{hi})", hint="")
        for call in ctx.sites(cst.Call):
            f = ctx.resolve(call.func)
            if isinstance(f, EnumRef) and f.cls.kind == model.PROTO and len(call.args) == 1 and not call.args[0].keyword:
                s = str_literal(call.args[0].value)
                if s is not None:
                    member = s if s in f.cls.members else f.cls.closest(s)
                    hint = f', use {ctx.code(call.func)}["{member}"]' if member else ""
                    yield self.report(call, cls=f.cls.display, what=f"value {s!r}",
                                      effect="ValueError at run time (the constructor takes ints)", hint=hint)


# ---------------------------------------------------------------------------------------------------------------


class CrossEnumComparison(Rule):
    """Equality or membership between values of two different enum classes.

    ## What it does
    Finds `==`, `!=`, `in`, `not in` between a state of one enum class and members of another: v1 vs v1beta1
    JobState, JobState vs PipelineState, Vertex vs Dataflow, Batch, Dataproc or google-genai; and container
    literals that mix members of different classes (other than the same enum's v1 and v1beta1 twins), reported
    on the container's line.

    ## Why is this bad?
    proto-plus compares only the same class or a plain int: the comparison is always False even at equal ints
    (`JobState.JOB_STATE_SUCCEEDED == PipelineState.PIPELINE_STATE_SUCCEEDED` is False, both are 4). A wait loop
    on `get_custom_job(...).state != PipelineState.PIPELINE_STATE_SUCCEEDED` never ends.

    ## Example
    ```python
    from google.cloud.aiplatform import gapic as aip

    job = aip.JobServiceClient().get_custom_job(name="n")
    if job.state != aip.PipelineState.PIPELINE_STATE_SUCCEEDED:
        print("still waiting")
    ```

    ## Use instead
    ```python
    from google.cloud.aiplatform import gapic as aip

    job = aip.JobServiceClient().get_custom_job(name="n")
    if job.state != aip.JobState.JOB_STATE_SUCCEEDED:
        print("still waiting")
    ```

    ## Fix safety
    No fix: which side is wrong needs a human.

    ## Options
    None.

    ## References
    - [proto-plus enums](https://proto-plus-python.readthedocs.io/en/stable/fields.html#enumerations)
    """

    code = "JS105"
    name = "cross-enum-comparison"
    summary = "values of two different enum classes compared: never equal"
    message = "{left} compared with {right}; never equal (different enum classes)"
    fix = None

    def check(self, ctx: "Context") -> Iterator[Finding]:
        mixed: set[int] = set()
        for t in (cst.Tuple, cst.List, cst.Set):
            for node in ctx.sites(t):
                v = ctx.resolve(node)
                if isinstance(v, Coll) and _is_mixed(v.classes):
                    mixed.add(id(node))
                    names = sorted({c.display for c in v.classes})
                    yield self.report(node, left="container of " + " and ".join(names[:-1]),
                                      right=f"{names[-1]} members")
        for comp in ctx.sites(cst.Comparison):
            for a, op, b in pairs(comp):
                if not isinstance(op, _EQ + _MEMBERSHIP):
                    continue
                va, vb = ctx.state_of(a), ctx.state_of(b)
                if not isinstance(va, StateVal) or not va.classes:
                    continue
                if isinstance(vb, Coll) and isinstance(op, _MEMBERSHIP):
                    if (vb.node is not None and id(vb.node) in mixed) or _is_mixed(vb.classes):
                        continue
                    if not (va.classes & vb.classes) and _vertex_involved(va.classes | vb.classes):
                        other = next(iter(vb.classes))
                        yield self.report(comp, left=_side(va), right=f"{vb.name or 'a set of'} {other.display} members"
                                          if vb.name else f"{other.display} members")
                elif isinstance(vb, StateVal) and vb.classes and isinstance(op, _EQ):
                    if not (va.classes & vb.classes) and _vertex_involved(va.classes | vb.classes):
                        yield self.report(comp, left=_side(va), right=_side(vb))
                elif vb is None or isinstance(vb, Path) or isinstance(vb, Chain):
                    # a set the resolver could not build: imported from a sibling module, ``A | B``, ``set(X)``
                    c = named(ctx, b, scalar=False) if isinstance(op, _MEMBERSHIP) else None
                    if c is not None and c.only_members and not _is_mixed(c.classes) and not (va.classes & c.classes) \
                            and _vertex_involved(va.classes | c.classes):
                        other = next(iter(c.classes))
                        yield self.report(comp, left=_side(va), right=f"{ctx.code(b)} {other.display} members")


def _side(v: StateVal) -> str:
    cls = v.exact or v.any_cls
    if v.member is not None and v.literal:
        return f"{cls.display}.{v.member}" if cls.kind != model.FOREIGN else f"{cls.display} {v.member}"
    return cls.display


def _vertex_involved(classes: Iterable[EnumClass]) -> bool:
    return any(c.kind in (model.PROTO, model.STR) for c in classes)


def _is_mixed(classes: frozenset[EnumClass]) -> bool:
    return len(classes) > 1 and not model.one_class(classes) and _vertex_involved(classes)


# ---------------------------------------------------------------------------------------------------------------


class StateStrRendering(Rule):
    """A proto state rendered as a str and compared with a str.

    ## What it does
    Finds `str(state)`, `f"{state}"`, `"%s" % state` and `"{}".format(state)` of a Vertex proto state compared
    (`==`, `!=`, `in`) with a str or a named constant or container of strs, and substring tests on them
    (`"CANCELLED" in str(state)`).

    ## Why is this bad?
    `str(JobState.JOB_STATE_SUCCEEDED)` is `'4'` on Python 3.11+ but `'JobState.JOB_STATE_SUCCEEDED'` on 3.10:
    the comparison depends on the interpreter, and breaks on upgrade. `f"{state}"` and `"{}".format(state)` give
    the int `'4'` everywhere, so a comparison with a name never matches.

    ## Example
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if str(job.state) == "JobState.JOB_STATE_SUCCEEDED":
        print("done")
    ```

    ## Use instead
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if job.state.name == "JOB_STATE_SUCCEEDED":
        print("done")
    ```

    ## Fix safety
    Unsafe: the result changes on one of the interpreters. The rendered value becomes `state.name` and the str
    the member's full name (from `'4'`, `'JobState.JOB_STATE_X'`, `'JOB_STATE_X'` or a unique short name);
    no fix when the str names no member. A substring test searches `state.name` instead.

    ## Options
    None.

    ## References
    - [What's new in Python 3.11: enum](https://docs.python.org/3/whatsnew/3.11.html#enum)
    """

    code = "JS106"
    name = "state-str-rendering"
    summary = "str(state) / f-string of a proto state compared with a str"
    message = "{how} of {cls} compared with a str; {rendering}, {hint}"
    fix = UNSAFE

    def check(self, ctx: "Context") -> Iterator[Finding]:
        for comp, op, x, y, is_left, v in sides(ctx, _EQ + _MEMBERSHIP):
            if not isinstance(v, Rendered):
                continue
            if isinstance(op, _MEMBERSHIP) and not is_left:
                # ``"CANCELLED" in str(state)``: a substring test on the rendering
                s = str_literal(y)
                if s is not None:
                    yield self._substring(ctx, comp, x, v, y, s)
                continue
            strs = _str_elements(y)
            if strs:
                yield self._finding(ctx, comp, x, v, strs)
            elif (strs := named_strs(ctx, y, scalar=isinstance(op, _EQ))) is not None:
                yield self._finding(ctx, comp, x, v, strs, named_node=y)

    def _substring(self, ctx: "Context", comp: cst.Comparison, rendered: cst.BaseExpression, v: Rendered,
                   needle_node: cst.BaseExpression, needle: str) -> Finding:
        st = v.state
        cls = st.exact or st.any_cls
        member = _full_name(st.classes, needle) or f"{cls.prefix}X"
        value = cls.members.get(member, 4)
        return self.report(comp, _substring_fix(ctx, rendered), how=v.how, cls=cls.name,
                           rendering=rendering(v.how, cls, member, value), hint=f'search .name: {needle!r} in state.name')

    def _finding(self, ctx: "Context", comp: cst.Comparison, rendered: cst.BaseExpression, v: Rendered,
                 strs: list[tuple[cst.BaseExpression, str]], named_node: Optional[cst.BaseExpression] = None) -> Finding:
        st = v.state
        cls = st.exact or st.any_cls
        fulls = [_rendered_member(st, s) for _, s in strs]
        inner = _rendered_inner(rendered)
        fix = None
        if named_node is not None:
            hint = f"compare .name with the full member names in {ctx.code(named_node)}"
        elif all(fulls) and inner is not None:
            edits = [Edit(rendered, f"{ctx.code(inner)}.name")]
            edits += [Edit(node, _quote(node, full)) for (node, _), full in zip(strs, fulls)]  # type: ignore[arg-type]
            fix = Fix(tuple(edits), safe=False, title="compare .name")
            hint = f'use .name == "{fulls[0]}"'
        else:
            hint = "compare .name with the full member name"
        member = fulls[0] if fulls[0] else f"{cls.prefix}X"
        value = cls.members.get(member, 4)
        return self.report(comp, fix, how=v.how, cls=cls.name, hint=hint, rendering=rendering(v.how, cls, member, value))


def _substring_fix(ctx: "Context", rendered: cst.BaseExpression) -> Optional[Fix]:
    inner = _rendered_inner(rendered)
    if inner is None:
        return None
    return Fix((Edit(rendered, f"{ctx.code(inner)}.name"),), safe=False, title="search .name")


def rendering(how: str, cls: EnumClass, member: str, value: object) -> str:
    """What the rendering produces, per interpreter (re-checked by tests/test_truth.py)."""
    if how in STR_RENDERINGS:
        return f"renders '{value}' on Python 3.11+ but '{cls.name}.{member}' on 3.10"
    return f"renders the int '{value}', never the name"


STR_RENDERINGS = ("str()", '"%s" %')


def _rendered_member(st: StateVal, s: str) -> Optional[str]:
    s = s.strip()
    if s.lstrip("-").isdigit():
        cls = st.exact or st.any_cls
        return cls.member_for_int(int(s))
    if "." in s:
        s = s.rsplit(".", 1)[-1]
    return s if _is_member_name(st.classes, s) else _full_name(st.classes, s)


def _rendered_inner(node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    if isinstance(node, cst.Call):
        if len(node.args) == 1:
            return node.args[0].value
    if isinstance(node, cst.FormattedString):
        for p in node.parts:
            if isinstance(p, cst.FormattedStringExpression):
                return p.expression
    if isinstance(node, cst.BinaryOperation):
        return node.right
    return None


# ---------------------------------------------------------------------------------------------------------------


class NoSuchEnumPath(Rule):
    """An attribute path or import that names a state enum where the SDK has none.

    ## What it does
    Finds attribute paths and imports that name a Vertex state enum (`JobState`, `PipelineState`, or a close
    misspelling such as `JobStates`) in a Vertex module that has no such name: `aiplatform.JobState` (the
    top-level `google.cloud.aiplatform` package exports no `JobState`; `aiplatform.gapic.JobState` exists),
    `from google.cloud.aiplatform.gapic import JobStates`,
    `aiplatform_v1.types.job_state.PipelineState`. Only the modules where the SDK spells these enums (and the
    top-level package) are judged, since there every real spelling is known. Code inside a `try` that
    catches `AttributeError`, `ImportError` or `Exception` is left alone (a deliberate fallback).

    ## Why is this bad?
    The path raises AttributeError (ImportError for an import) at run time, often on a rarely taken branch:
    the code that handles a finished job crashes the first time a job finishes.

    ## Example
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if job.state == aiplatform.JobState.JOB_STATE_SUCCEEDED:
        print("done")
    ```

    ## Use instead
    ```python
    from google.cloud import aiplatform

    job = aiplatform.CustomJob.get("projects/p/locations/l/customJobs/1")
    if job.state == aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED:
        print("done")
    ```

    ## Fix safety
    Safe when exactly one real spelling is nearest (fewest path segments changed) and it can be written from
    the same imported name (`aiplatform.JobState` -> `aiplatform.gapic.JobState`,
    `gapic.JobStates` -> `gapic.JobState`): the code raised before, and now reaches the enum it named.
    Otherwise, and for imports, no fix: the message names the nearest real spelling.

    ## Options
    `--jobstate-extra-modules` adds modules that re-export the enums; paths under them are never reported.

    ## References
    - [Vertex AI SDK reference: aiplatform.gapic](https://cloud.google.com/python/docs/reference/aiplatform/latest/google.cloud.aiplatform.gapic)
    """

    code = "JS107"
    name = "no-such-enum-path"
    summary = "state enum path or import the SDK does not have"
    message = "{spelled}: {module} has no {name}, {exc} at run time; {hint}"
    fix = SAFE

    def check(self, ctx: "Context") -> Iterator[Finding]:
        guarded: Optional[set[int]] = None
        for node, path, spelled, exc, root in _enum_path_uses(ctx):
            if guarded is None:
                guarded = guarded_by_try(ctx.module, _FALLBACK_EXCEPTIONS)
            if id(node) in guarded:
                continue
            suggestions = model.enum_path_suggestions(path)
            if not suggestions:
                continue
            fix = None
            if exc != "AttributeError":  # an import: name the module to import from
                parent, _, cls_name = suggestions[0][1].rpartition(".")
                hint = f"did you mean from {parent} import {cls_name}?"
            else:
                hint = f"did you mean {suggestions[0][1]}?"
            if root is not None:
                # spelled from the same imported name when possible: one nearest such spelling is the fix
                root_code, root_path = root
                reachable = [(d, s) for d, s in suggestions if s.startswith(root_path + ".")]
                if reachable:
                    nearest = [s for d, s in reachable if d == reachable[0][0]]
                    code = root_code + nearest[0][len(root_path):]
                    if len(nearest) == 1:
                        fix = Fix((Edit(node, code),), safe=True, title=f"use {code}")
                        hint = f"use {code}"
                    else:
                        hint = f"did you mean {code}?"
            module, _, name = path.rpartition(".")
            yield self.report(node, fix, spelled=spelled, module=module, name=name, exc=exc, hint=hint)


def _enum_path_uses(ctx: "Context") -> Iterator[tuple[cst.CSTNode, str, str, str, Optional[tuple[str, str]]]]:
    """(node, full path, as spelled, exception, (root code, root path) for a fix) of every enum-like name
    reached through a Vertex module that lacks it."""
    for attr in ctx.sites(cst.Attribute):
        if model.enum_like(attr.attr.value) is None:
            continue
        base = ctx.resolve(attr.value)
        if not isinstance(base, Path):
            continue
        path = f"{base.path}.{attr.attr.value}"
        if model.missing_enum_path(path) is None:
            continue
        root_node: cst.BaseExpression = attr.value
        while isinstance(root_node, cst.Attribute):
            root_node = root_node.value
        root = ctx.resolve(root_node) if isinstance(root_node, cst.Name) else None
        spelled = ctx.code(attr)
        yield attr, path, spelled, "AttributeError", (ctx.code(root_node), root.path) if isinstance(root, Path) else None
    for imp in ctx.sites(cst.ImportFrom):
        if imp.relative or imp.module is None or isinstance(imp.names, cst.ImportStar):
            continue
        module = dotted(imp.module)
        for alias in imp.names:
            name = dotted(alias.name)
            if module and name and model.missing_enum_path(f"{module}.{name}") is not None:
                yield alias, f"{module}.{name}", f"from {module} import {name}", "ImportError", None
    for imp in ctx.sites(cst.Import):
        for alias in imp.names:
            path = dotted(alias.name)
            if path and model.missing_enum_path(path) is not None:
                yield alias, path, f"import {path}", "ModuleNotFoundError", None


_FALLBACK_EXCEPTIONS = frozenset({"AttributeError", "ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

_ = Union  # keep typing import used on older linters
