"""Re-check the model's facts, and the claims the messages make, against the installed SDKs.

Needs the ``test`` extra (google-cloud-aiplatform, google-genai, google-cloud-dataflow-client); each group
is skipped when its SDK is not installed, so the model can never silently drift from the real libraries.
"""

from __future__ import annotations

import importlib
import sys

import pytest

from flake8_jobstate import model

aiplatform = pytest.importorskip("google.cloud.aiplatform")


def reach(path: str):
    """Import the longest importable module prefix of ``path`` and getattr the rest."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(path)


def _available(cls: model.EnumClass) -> bool:
    try:
        reach(cls.qualname)
    except (ImportError, AttributeError):
        return False
    return True


ENUMS = [e for e in model.ALL_ENUMS if _available(e)]


def test_the_vertex_and_genai_classes_are_installed():
    keys = {e.key for e in ENUMS}
    assert {"v1.JobState", "v1beta1.JobState", "v1.PipelineState", "v1beta1.PipelineState"} <= keys


@pytest.mark.parametrize("cls", ENUMS, ids=lambda e: e.key)
def test_members_and_values(cls):
    real = reach(cls.qualname)
    assert f"{real.__module__}.{real.__qualname__}" == cls.qualname
    assert {m.name: m.value for m in real} == dict(cls.members)


@pytest.mark.parametrize("cls", ENUMS, ids=lambda e: e.key)
def test_every_spelling_reaches_the_class(cls):
    real = reach(cls.qualname)
    for spelling in cls.spellings:
        try:
            got = reach(spelling)
        except (ImportError, AttributeError):
            if spelling.startswith(("vertexai.", "agentplatform.")):
                continue  # optional packages of the SDK, not always importable
            raise
        if cls.kind == model.STR:
            # several str enum classes with equal values: the same for every comparison the rules make
            assert issubclass(got, str) and {m.name: m.value for m in got} == dict(cls.members), spelling
            assert all(got[m] == real[m] for m in cls.members)
        else:
            assert got is real, spelling


def test_distinct_classes():
    v1, b1 = reach(model.V1_JOB.qualname), reach(model.V1BETA1_JOB.qualname)
    assert v1 is not b1


@pytest.mark.parametrize("path,kind", sorted(model.MESSAGE_CLASSES.items()), ids=lambda x: x if isinstance(x, str) else "")
def test_message_state_fields(path, kind):
    msg = reach(path)
    value = msg(**{kind.state_attr: 4}) if kind.enum.kind == model.PROTO else None
    state = getattr(value, kind.state_attr)
    assert f"{type(state).__module__}.{type(state).__qualname__}" == kind.enum.qualname


@pytest.mark.parametrize("path,kind", sorted(model.SDK_CLASSES.items()), ids=lambda x: x if isinstance(x, str) else "")
def test_sdk_resource_classes(path, kind):
    try:
        cls = reach(path)
    except (ImportError, AttributeError):
        if path.startswith("vertexai."):
            pytest.skip("vertexai optional module")
        raise
    gca = getattr(cls, "_resource_noun", None)
    assert gca is not None or hasattr(cls, "state")
    prop = getattr(cls, "state", None)
    ann = getattr(getattr(prop, "fget", None), "__annotations__", {}).get("return")
    if ".preview." in path:
        # preview.jobs.CustomJob annotates the v1 enum but returns v1beta1 values: the runtime fact was
        # measured with mocked resources (see docs/facts.md, which objects carry which enum).
        return
    for arg in getattr(ann, "__args__", None) or (ann,):  # Optional[PipelineState] -> PipelineState
        if arg is not None and arg is not type(None) and not isinstance(arg, str):
            assert f"{arg.__module__}.{arg.__qualname__}" == kind.enum.qualname


@pytest.mark.parametrize("path,version", sorted(model.CLIENT_CLASSES.items()))
def test_clients_and_their_getters(path, version):
    client = reach(path)
    getters = [m for m in dir(client) if m.startswith("get_") and model.client_method_result(version, m)]
    assert getters, path
    for m in getters:
        kind = model.client_method_result(version, m)
        assert f"aiplatform_{version}" in kind.enum.qualname


@pytest.mark.parametrize("path", sorted(model.SDK_SETS))
def test_sdk_sets(path):
    try:
        real = reach(path)
    except (ImportError, AttributeError):
        pytest.skip("optional SDK module")
    want = sorted((c.qualname, m) for c, m in model.SDK_SETS[path])
    got = sorted((f"{type(m).__module__}.{type(m).__qualname__}", m.name) for m in real)
    assert got == want


# ---- the claims that messages make -------------------------------------------------------------------------

PROTO = [reach(e.qualname) for e in model.VERTEX_PROTO]


@pytest.mark.parametrize("enum", PROTO, ids=lambda e: e.__module__)
def test_js102_proto_never_equals_str(enum):
    names = [m.name for m in enum] + ["SUCCEEDED", "4"]
    for m in enum:
        for s in names:
            assert (m == s) is False and (m != s) is True
            assert s not in {m} and s not in (m,)


@pytest.mark.parametrize("enum", PROTO, ids=lambda e: e.__module__)
def test_js101_member_equals_its_int(enum):
    for m in enum:
        assert m == m.value and m.value in {m} and m.value in (m,)


def test_js105_different_classes_never_equal():
    classes = PROTO + [reach(e.qualname) for e in ENUMS if e.kind == model.FOREIGN]
    for a in classes:
        for b in classes:
            if a is b:
                continue
            for x in a:
                for y in b:
                    assert (x == y) is False, (x, y)
                    assert x not in (y,)


def test_js105_genai_never_equals_proto():
    genai = pytest.importorskip("google.genai.types")
    for m in genai.JobState:
        for p in PROTO:
            for x in p:
                assert (m == x) is False


@pytest.mark.parametrize("cls", [e for e in ENUMS if e.kind in (model.PROTO, model.STR)], ids=lambda e: e.key)
def test_js104_bad_members_raise_attribute_error(cls):
    real = reach(cls.qualname)
    for bad in ("JOB_STATE_DONE", "SUCCEEDED", "JOB_STATE_CANCELED", "PIPELINE_STATE_EXPIRED"):
        if bad in cls.members:
            continue
        with pytest.raises(AttributeError):
            getattr(real, bad)
        hint = cls.closest(bad)
        assert hint is None or hint in cls.members


@pytest.mark.parametrize("cls", model.VERTEX_PROTO, ids=lambda e: e.key)
def test_js104_out_of_range_and_str_construction(cls):
    real = reach(cls.qualname)
    lo, hi = cls.int_range()
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ValueError):
            real(bad)
    with pytest.raises(ValueError):
        real(next(iter(cls.members)))
    assert real[next(iter(cls.members))] is real(0)


def test_js104_out_of_range_assignment_is_stored_silently():
    cj = reach("google.cloud.aiplatform_v1.types.CustomJob")()
    cj.state = 99
    assert cj.state == 99 and not isinstance(cj.state, reach(model.V1_JOB.qualname))


@pytest.mark.parametrize("cls", model.VERTEX_PROTO, ids=lambda e: e.key)
def test_js103_short_names_fail(cls):
    real = reach(cls.qualname)
    for member in cls.members:
        short = cls.short(member)
        with pytest.raises(KeyError):
            real[short]
        assert real[member].name == member and real[member].name != short


def test_js103_message_constructor_with_a_short_or_foreign_name_raises():
    CustomJob = reach("google.cloud.aiplatform_v1.types.CustomJob")
    PipelineJob = reach("google.cloud.aiplatform_v1.types.PipelineJob")
    with pytest.raises(KeyError):
        CustomJob(state="SUCCEEDED")
    with pytest.raises(KeyError):
        PipelineJob(state="JOB_STATE_SUCCEEDED")
    assert CustomJob(state="JOB_STATE_SUCCEEDED").state == 4


def test_js103_genai_short_name_never_equal():
    genai = pytest.importorskip("google.genai.types")
    for m in genai.JobState:
        assert m == m.name and m != m.name.replace("JOB_STATE_", "")


def test_js106_renderings_match_the_message():
    from flake8_jobstate.rules.values import rendering

    real = reach(model.V1_JOB.qualname)
    m = real.JOB_STATE_SUCCEEDED
    expected_str = "'4'" if sys.version_info >= (3, 11) else "'JobState.JOB_STATE_SUCCEEDED'"
    text = rendering("str()", model.V1_JOB, m.name, m.value)
    assert f"renders '4' on Python 3.11+ but 'JobState.JOB_STATE_SUCCEEDED' on 3.10" == text
    assert repr(str(m)) == expected_str
    assert repr("%s" % m) == expected_str
    assert f"{m}" == "4" and "{}".format(m) == "4"
    assert "'4'" in rendering("f-string", model.V1_JOB, m.name, m.value)


def test_machine_names_exist():
    for fam, shorts in model.TERMINAL_SHORT.items():
        cls = model.V1_JOB if fam == "job" else model.V1_PIPELINE
        for s in shorts | set(model.ACTIVE_SHORT if fam == "job" else ()):
            assert cls.full(s) in cls.members


@pytest.mark.parametrize("cls", [e for e in ENUMS if e.kind in (model.PROTO, model.STR)], ids=lambda e: e.key)
def test_js104_every_upper_case_attribute_is_a_member(cls):
    """JS104 reports upper-case attributes that are no member: the real classes have no other such names."""
    real = reach(cls.qualname)
    assert [a for a in dir(real) if a.isupper() and not a.startswith("_") and a not in cls.members] == []


# ---- JS107: enum paths that do not exist ---------------------------------------------------------------------

_JS107_PROBES = ("JobState", "PipelineState", "JobStates", "PipelineStates", "Jobstate", "PipelinState", "JobStateEnum")


@pytest.mark.parametrize("module", sorted(model.ENUM_MODULES))
def test_js107_the_model_knows_every_enum_like_name_of_its_modules(module):
    """In every module JS107 judges, the enum-like names the SDK has are exactly the model's spellings."""
    real = reach(module)
    have = {a for a in dir(real) if model.enum_like(a)}
    spelled = {p.rsplit(".", 1)[1] for e in model.VERTEX_PROTO for p in e.spellings if p.rsplit(".", 1)[0] == module}
    assert have == spelled
    for name in _JS107_PROBES:
        path = f"{module}.{name}"
        if model.missing_enum_path(path) is None:
            assert model.class_for_path(path) is not None and reach(path) is reach(model.class_for_path(path).qualname)
        else:
            with pytest.raises(AttributeError):
                getattr(real, name)


def test_js107_every_reported_path_raises_and_every_suggestion_exists():
    import re as _re

    from expectations import FIXTURES
    from flake8_jobstate.engine import analyze_source

    source = (FIXTURES / "rules" / "js107_no_such_enum_path.py").read_text(encoding="utf-8")
    findings = [f for f in analyze_source(source) if f.code == "JS107"]
    assert len(findings) >= 10
    for f in findings:
        module, name = _re.search(r": (\S+) has no (\w+),", f.message).groups()
        if "ImportError" in f.message or "ModuleNotFoundError" in f.message:
            with pytest.raises(ImportError):
                exec(f"from {module} import {name}", {})
        else:
            with pytest.raises(AttributeError):
                getattr(reach(module), name)
        for d, suggestion in model.enum_path_suggestions(f"{module}.{name}"):
            cls = model.class_for_path(suggestion)
            assert cls is not None and reach(suggestion) is reach(cls.qualname)


def test_js107_import_of_a_missing_enum_module_raises():
    with pytest.raises(ImportError):
        importlib.import_module("google.cloud.aiplatform.JobState")


# ---- JS206: state maps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", model.VERTEX_PROTO, ids=lambda e: e.key)
def test_js206_lookups_by_member_int_and_name(cls):
    """Member keys match a state and its int, int keys match a state, name keys match ``.name``; a missing key
    raises KeyError (what the message says)."""
    real = reach(cls.qualname)
    for m in real:
        assert {m: 1}[int(m)] == 1 and {m.value: 1}[m] == 1 and {m.name: 1}[m.name] == 1
        with pytest.raises(KeyError):
            {m: 1}[real(0) if m.value else real(1)]
        with pytest.raises(KeyError):
            {m.name: 1}[m]  # str keys never match a proto state: not a map hole, JS206 stays silent


def test_js206_unspecified_is_only_the_default_of_a_message():
    CustomJob = reach("google.cloud.aiplatform_v1.types.CustomJob")
    assert CustomJob().state == 0 and CustomJob().state.name in model.V1_JOB.members
    assert {model.V1_JOB.short(m) for m in set(model.V1_JOB.members) - model.possible_members(model.V1_JOB)} == {
        "UNSPECIFIED"
    }


def test_js206_genai_str_state_matches_str_keys():
    genai = pytest.importorskip("google.genai.types")
    for m in genai.JobState:
        assert {m.value: 1}[m] == 1


def test_js206_twin_keys_never_match():
    v1, beta = reach(model.V1_JOB.qualname), reach(model.V1BETA1_JOB.qualname)
    with pytest.raises(KeyError):
        {v1.JOB_STATE_SUCCEEDED: 1}[beta.JOB_STATE_SUCCEEDED]


_V1BETA1_MARKERS = ('select_version("v1beta1")', "select_version('v1beta1')", "compat.V1BETA1", "_v1beta1")


@pytest.mark.parametrize("path,kind", sorted((p, k) for p, k in model.SDK_CLASSES.items()
                                             if p.startswith("google.cloud.aiplatform.")),
                         ids=lambda x: x if isinstance(x, str) else "")
def test_sdk_api_version_per_class_from_the_source(path, kind):
    """A resource class can carry a v1beta1 state only if its code (or a base class's, in the SDK) selects the
    v1beta1 API or builds v1beta1 resources; every other class is v1 exactly."""
    import inspect

    cls = reach(path)
    sources = [inspect.getsource(k) for k in cls.__mro__ if k.__module__.startswith("google.cloud.aiplatform")]
    switches = any(m in src for src in sources for m in _V1BETA1_MARKERS)
    can_be_v1beta1 = kind.twin is not None or kind.enum.version == "v1beta1"
    assert switches == can_be_v1beta1, (path, switches)


def test_only_batch_prediction_switches_among_the_top_level_resources():
    assert {k.name for p, k in model.SDK_CLASSES.items()
            if p.startswith("google.cloud.aiplatform.") and ".preview." not in p and k.twin is not None} == {
        "BatchPredictionJob"}
