"""JS2xx beyond the fixture files: the machine against the model, the generated picture, the analysis parts."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from flake8_jobstate import machine_doc, model, project
from flake8_jobstate.config import DEFAULT, build_config
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.flow import FALSE, OTHER, TRUE, And, Atom, Not, Or, evaluate
from flake8_jobstate.rules import iter_rules
from flake8_jobstate.rules.base import DOC_SECTIONS
from flake8_jobstate.rules.machine import name_kind, name_words, why_not

JS2 = [r for r in iter_rules() if r.code.startswith("JS2")]
MACHINES = [model.V1_JOB, model.V1BETA1_JOB, model.V1_PIPELINE, model.V1BETA1_PIPELINE, model.GENAI_JOB]


def findings(source: str, **config: str) -> list[tuple[int, str]]:
    cfg = build_config(**config) if config else DEFAULT
    return [(f.line, f.code) for f in analyze_source(textwrap.dedent(source), cfg)]


def js2(source: str, **config: str) -> list[tuple[int, str]]:
    return [f for f in findings(source, **config) if f[1].startswith("JS2")]


# ---------------------------------------------------------------------------------------------------------------
# The picture of the machine
# ---------------------------------------------------------------------------------------------------------------


def test_state_machine_doc_is_fresh():
    current = machine_doc.DEFAULT_PATH.read_text(encoding="utf-8")
    assert current == machine_doc.render(), "docs/state-machine.md is stale: run python -m flake8_jobstate.machine_doc"


def test_machine_doc_entry_point(tmp_path):
    target = tmp_path / "state-machine.md"
    assert machine_doc.main([str(target), "--check"]) == 1
    assert machine_doc.main([str(target)]) == 0
    assert machine_doc.main([str(target), "--check"]) == 0
    assert target.read_text(encoding="utf-8") == machine_doc.render()


@pytest.mark.parametrize("cls", [model.V1_JOB, model.V1_PIPELINE], ids=lambda c: c.key)
def test_diagram_is_the_model(cls):
    diagram = machine_doc.mermaid(cls)
    arrows = set(re.findall(r"^\s+(\w+) --> (\w+|\[\*\])$", diagram, re.M))
    documented = set(model.documented_edges(cls))
    ends = {(cls.short(m), "[*]") for m in model.terminal_members(cls)}
    assert arrows == documented | ends
    for src, dst in documented:
        assert model.transition_allowed(cls, cls.full(src), cls.full(dst)), (src, dst)


# ---------------------------------------------------------------------------------------------------------------
# The transition relation (what JS201 checks) against the documented machine
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MACHINES, ids=lambda c: c.key)
def test_transition_relation(cls):
    members = list(cls.members)
    terminal = model.terminal_members(cls)
    cancel_ends = {cls.full(s) for s in ("SUCCEEDED", "FAILED", "CANCELLED")}
    for src in members:
        assert model.transition_allowed(cls, src, src), "repeating a state is always allowed"
        for dst in members:
            if src == dst:
                continue
            allowed = model.transition_allowed(cls, src, dst)
            if src in terminal:
                assert not allowed, f"{src} is terminal"
            elif cls.short(src) == "CANCELLING":
                assert allowed == (dst in cancel_ends)
            elif cls.short(src) == "UPDATING":
                assert allowed == (cls.short(dst) == "RUNNING")
            elif cls.short(dst) == "UPDATING":
                assert allowed == (cls.short(src) == "RUNNING")
            else:
                assert allowed


def test_why_not_is_phrased_from_the_model():
    cls = model.V1_JOB
    assert why_not(cls, "JOB_STATE_SUCCEEDED", "JOB_STATE_RUNNING") == "SUCCEEDED is terminal, a job never leaves it"
    assert why_not(cls, "JOB_STATE_CANCELLING", "JOB_STATE_RUNNING") == (
        "CANCELLING moves only to SUCCEEDED, FAILED, CANCELLED"
    )
    assert why_not(cls, "JOB_STATE_QUEUED", "JOB_STATE_UPDATING") == "only RUNNING can move to UPDATING"
    assert why_not(cls, "JOB_STATE_UPDATING", "JOB_STATE_FAILED") == "UPDATING moves only to RUNNING"


# ---------------------------------------------------------------------------------------------------------------
# Rule metadata and docs
# ---------------------------------------------------------------------------------------------------------------


def test_the_six_rules_exist():
    assert [r.code for r in JS2] == ["JS201", "JS202", "JS203", "JS204", "JS205", "JS206"]
    assert [r.name for r in JS2] == [
        "invalid-transition",
        "wait-loop-misses-terminal-state",
        "wait-loop-exits-on-active-state",
        "incomplete-state-set",
        "non-exhaustive-state-match",
        "incomplete-state-map",
    ]


@pytest.mark.parametrize("rule", JS2, ids=lambda r: r.code)
def test_metadata(rule):
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule.name)
    assert rule.fix is None
    assert rule.summary and "\n" not in rule.summary
    assert "; " in rule.message, "messages are 'problem; hint'"
    sections = rule.doc_sections()
    assert list(sections) == list(DOC_SECTIONS)
    assert all(sections[s].strip() for s in DOC_SECTIONS)
    assert "{options}" not in rule.doc_text()
    if rule.code != "JS201":
        assert "--jobstate-terminal-states" in sections["Options"]


@pytest.mark.parametrize("rule", JS2, ids=lambda r: r.code)
def test_example_fires_and_use_instead_is_silent(rule):
    example = rule.example_code("Example")
    use_instead = rule.example_code("Use instead")
    assert {code for _, code in findings(example)} == {rule.code}
    assert findings(use_instead) == []


# ---------------------------------------------------------------------------------------------------------------
# Pieces of the analysis
# ---------------------------------------------------------------------------------------------------------------


def test_kleene_evaluation():
    done = Atom("s", frozenset({model.V1_JOB}), frozenset({"JOB_STATE_SUCCEEDED"}))
    opaque = Atom("s", frozenset({model.V1_JOB}), None)
    assert evaluate(done, "JOB_STATE_SUCCEEDED") is True
    assert evaluate(done, "JOB_STATE_RUNNING") is False
    assert evaluate(opaque, "JOB_STATE_RUNNING") is None
    assert evaluate(Not(done), "JOB_STATE_RUNNING") is True
    assert evaluate(And((done, OTHER)), "JOB_STATE_RUNNING") is False
    assert evaluate(And((done, OTHER)), "JOB_STATE_SUCCEEDED") is None
    assert evaluate(Or((done, OTHER)), "JOB_STATE_SUCCEEDED") is True
    assert evaluate(Or((done, OTHER)), "JOB_STATE_RUNNING") is None
    assert evaluate(TRUE, "x") is True and evaluate(FALSE, "x") is False
    # atoms on another expression are unknown when a key is asked for
    assert evaluate(done, "JOB_STATE_SUCCEEDED", key="other.state") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("_JOB_COMPLETE_STATES", "terminal"),
        ("TERMINAL", "terminal"),
        ("jobDoneStates", "terminal"),
        ("JOB_END_STATES", "terminal"),
        ("STOPPED", "terminal"),
        ("FINAL_STATES", "terminal"),
        ("_JOB_PENDING_STATES", "active"),
        ("IN_PROGRESS", "active"),
        ("inProgressStates", "active"),
        ("WAITING", "active"),
        ("_JOB_ERROR_STATES", None),
        ("SUCCESSFUL_END_STATES", None),
        ("NON_TERMINAL_STATES", None),
        ("NOT_DONE", None),
        ("DONE_OR_RUNNING", None),
        ("BACKEND_STATES", None),
        ("STATES", None),
    ],
)
def test_name_kind(name, kind):
    assert name_kind(name) == kind, name_words(name)


def test_terminal_states_option():
    src = """
    import time
    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    DONE = (
        JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED,
        JobState.JOB_STATE_EXPIRED, JobState.JOB_STATE_PARTIALLY_SUCCEEDED,
    )
    job = aiplatform.CustomJob.get("n")
    while job.state not in DONE:
        time.sleep(1)
    """
    assert js2(src) == []
    assert js2(src, terminal_states="PAUSED") == [(6, "JS204"), (11, "JS202")]
    message = analyze_source(textwrap.dedent(src), build_config(terminal_states="PAUSED"))[-1].message
    assert "JOB_STATE_PAUSED" in message


def test_pipeline_state_has_its_own_terminal_set():
    src = """
    import time
    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import PipelineState as PS

    job = aiplatform.PipelineJob.get("n")
    while job.state not in (PS.PIPELINE_STATE_SUCCEEDED, PS.PIPELINE_STATE_FAILED, PS.PIPELINE_STATE_CANCELLED):
        time.sleep(1)
    """
    assert js2(src) == []


def test_messages_name_the_states():
    src = """
    import time
    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState

    job = aiplatform.CustomJob.get("n")
    while job.state in {JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING}:
        time.sleep(1)
    while job.state != JobState.JOB_STATE_SUCCEEDED:
        time.sleep(1)
    """
    found = {f.code: f.message for f in analyze_source(textwrap.dedent(src))}
    assert "JOB_STATE_QUEUED, JOB_STATE_CANCELLING, JOB_STATE_UPDATING" in found["JS203"]
    assert "JOB_STATE_FAILED, JOB_STATE_CANCELLED, JOB_STATE_EXPIRED, JOB_STATE_PARTIALLY_SUCCEEDED" in found["JS202"]


def test_always_false_tests_leave_only_the_comparison_rule():
    src = """
    import time
    from google.cloud.aiplatform import gapic as aip

    job = aip.JobServiceClient().get_custom_job(name="n")
    while job.state != "JOB_STATE_SUCCEEDED":
        time.sleep(1)
    while job.state != aip.PipelineState.PIPELINE_STATE_SUCCEEDED:
        time.sleep(1)
    while job.state not in (4, 5):
        time.sleep(1)
    """
    assert sorted(findings(src)) == [(6, "JS102"), (8, "JS105"), (10, "JS101"), (10, "JS101"), (10, "JS202")]


# ---------------------------------------------------------------------------------------------------------------
# Constants from the source tree
# ---------------------------------------------------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


WAITER = """
import time
from google.cloud import aiplatform
from .constants import DONE

def wait(name):
    job = aiplatform.CustomJob.get(name)
    while job.state not in DONE:
        time.sleep(1)
"""


def test_sibling_constants_are_read_once(tmp_path, monkeypatch):
    root = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/constants.py": """
            from google.cloud.aiplatform_v1 import JobState
            DONE = (JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED)
        """,
        "pkg/waiter.py": WAITER,
    })
    project.TREE.clear()
    reads = []
    real = project._reduce
    monkeypatch.setattr(project, "_reduce", lambda source, tree=None: reads.append(1) or real(source, tree))
    path = root / "pkg" / "waiter.py"
    for _ in range(3):
        got = analyze_source(path.read_text(), DEFAULT, str(path))
        assert [(f.line, f.code) for f in got] == [(8, "JS202")]
    assert len(reads) == 1, "a sibling module is parsed once per process"


def test_import_cycles_and_missing_modules_are_unknown(tmp_path):
    root = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/constants.py": "from .other import DONE\n",
        "pkg/other.py": "from .constants import DONE\n",
        "pkg/waiter.py": WAITER,
        "pkg/lonely.py": WAITER.replace(".constants", ".missing"),
    })
    project.TREE.clear()
    for name in ("waiter.py", "lonely.py"):
        path = root / "pkg" / name
        assert analyze_source(path.read_text(), DEFAULT, str(path)) == []


def test_sdk_packages_are_never_read_from_disk(tmp_path):
    root = _tree(tmp_path, {
        "google/cloud/aiplatform/jobs.py": "from google.cloud.aiplatform_v1 import JobState\n_X = (JobState.JOB_STATE_SUCCEEDED,)\n",
        "app.py": "import time\nfrom google.cloud import aiplatform\nfrom google.cloud.aiplatform.jobs import _X\n"
        "job = aiplatform.CustomJob.get('n')\nwhile job.state not in _X:\n    time.sleep(1)\n",
    })
    project.TREE.clear()
    path = root / "app.py"
    assert analyze_source(path.read_text(), DEFAULT, str(path)) == []


def test_reduce_keeps_only_constants():
    source = textwrap.dedent(
        """
        import os
        from .a import B
        X = (B, 1)
        Y: tuple = (B,)
        def f():
            return 1
        class C(Base):
            Z = X
            def m(self):
                pass
        try:
            from .c import D
        except ImportError:
            D = None
        if os.environ:
            W = 1
        """
    )
    reduced = project._reduce(source)
    assert "def " not in reduced
    assert "from .a import B" in reduced and "X = (B, 1)" in reduced and "Y: tuple = (B,)" in reduced
    assert "class C(Base):\n    Z = X\n" in reduced
    assert "from .c import D" in reduced and "W = 1" in reduced


# ---------------------------------------------------------------------------------------------------------------
# The SDK itself (installed): its complete set and its wait loops are reported
# ---------------------------------------------------------------------------------------------------------------


def test_installed_sdk_jobs_module():
    jobs = pytest.importorskip("google.cloud.aiplatform.jobs")
    path = Path(jobs.__file__)
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    set_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("_JOB_COMPLETE_STATES = "))
    loops = [i for i, ln in enumerate(lines, 1) if ln.strip() == "while self.state not in _JOB_COMPLETE_STATES:"]
    assert loops
    got = [(f.line, f.code) for f in analyze_source(source, DEFAULT, str(path)) if f.code.startswith("JS2")]
    assert got == sorted([(set_line, "JS204")] + [(n, "JS202") for n in loops])


def test_parenthesised_and_long_boolean_conditions():
    src = """
    import time
    from google.cloud import aiplatform
    from google.cloud.aiplatform_v1 import JobState as S

    job = aiplatform.CustomJob.get("n")
    while not (job.state == S.JOB_STATE_SUCCEEDED or (job.state == S.JOB_STATE_FAILED)):
        time.sleep(1)
    while not (CHAIN):
        time.sleep(1)
    """.replace("CHAIN", " or ".join(f"job.state == S.JOB_STATE_{s}" for s in ["SUCCEEDED", "FAILED"] * 40))
    assert js2(src) == [(7, "JS202"), (9, "JS202")]
