"""Generate docs/facts.md: the enum facts the tool relies on, written for users, read off ``model.py``.

``python -m flake8_jobstate.facts_doc`` rewrites it (``--check``: exit 1 when stale); ``tests/test_docs.py``
fails when it is stale. Tables (members, ints, spellings, sets, look-alikes) come from the model; the prose
around them states the runtime behaviour the rules are built on (re-checked by ``tests/test_truth.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import model

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "facts.md"


def _members_table() -> list[str]:
    job, pipe = model.V1_JOB, model.V1_PIPELINE
    rows = ["| int | JobState member | PipelineState member |", "|---|---|---|"]
    pipe_by_int = {v: k for k, v in pipe.members.items()}
    for name, value in job.members.items():
        rows.append(f"| {value} | `{name}` | {'`' + pipe_by_int[value] + '`' if value in pipe_by_int else ''} |")
    return rows


def _short(cls: model.EnumClass, members) -> str:  # noqa: ANN001
    order = list(cls.members)
    return ", ".join(cls.short(m) for m in sorted(members, key=order.index))


def _sdk_sets() -> list[str]:
    rows = ["| SDK set | members | terminal states it lacks |", "|---|---|---|"]
    for path, items in model.SDK_SETS.items():
        classes = sorted({c for c, _ in items}, key=lambda c: c.key)
        cls = classes[0]
        members = {m for _, m in items}
        versions = " and ".join(c.display for c in classes)
        lacks = model.terminal_members(cls) - members
        lacks_text = _short(cls, lacks) if "COMPLETE" in path else "(not a completion set)"
        rows.append(f"| `{path}` | {_short(cls, members)} ({versions}) | {lacks_text or 'none'} |")
    return rows


def render() -> str:
    job, pipe, genai, dataflow = model.V1_JOB, model.V1_PIPELINE, model.GENAI_JOB, model.DATAFLOW_JOB
    out = [
        "<!-- generated from src/flake8_jobstate/model.py by `python -m flake8_jobstate.facts_doc`; do not edit -->",
        "# JobState facts",
        "",
        "What flake8-jobstate knows about the Vertex AI state enums, measured on the real libraries",
        "(google-cloud-aiplatform 1.x and 2.x, proto-plus, google-genai, the Dataflow client, CPython 3.10-3.13).",
        "The tables are generated from the tool's model (`src/flake8_jobstate/model.py`), the one place the rules",
        "read them from; `tests/test_truth.py` re-checks them against the installed SDKs.",
        "",
        "## 1. The four Vertex classes",
        "",
        "`JobState` and `PipelineState` exist in the v1 and the v1beta1 API: four distinct classes. The v1beta1",
        "twin has the same names and ints as its v1 class but is a different class.",
        "",
        *_members_table(),
        "",
        f"JobState has {len(job.members)} members (0-{job.int_range()[1]}), PipelineState {len(pipe.members)}"
        f" (0-{pipe.int_range()[1]}). Spellings that reach the v1 `JobState` (all the same object):",
        "",
        *[f"- `{s}`" for s in job.spellings],
        "",
        "`google.cloud.aiplatform` itself exports no `JobState` (`aiplatform.JobState` is an AttributeError, JS107).",
        "The v1beta1 classes are reached through `aiplatform_v1beta1` and `compat.types.job_state_v1beta1`;",
        "PipelineState mirrors all of this.",
        "",
        "## 2. How the proto-plus enums behave",
        "",
        "A proto-plus enum is an `IntEnum` with a strict `__eq__`:",
        "",
        "- `JobState.JOB_STATE_SUCCEEDED == 4` is True, and `4 in {JobState.JOB_STATE_SUCCEEDED}` is True.",
        "- Equality accepts only the same class or a plain int: v1 vs v1beta1 member, JobState vs PipelineState,",
        "  Vertex vs Dataflow are never equal, even at equal ints (JS105). Ordering across classes raises TypeError.",
        "- A proto enum never equals a str: `state == \"JOB_STATE_SUCCEEDED\"` is always False (JS102).",
        "- `.name` is the full name: `state.name == \"JOB_STATE_SUCCEEDED\"` works, `== \"SUCCEEDED\"` never matches (JS103).",
        "- `str(member)` is `'4'` on Python 3.11 and later but `'JobState.JOB_STATE_SUCCEEDED'` on 3.10;",
        "  `f\"{member}\"` is `'4'` everywhere: comparing either with a str depends on the interpreter (JS106).",
        "- `JobState(4)` is the member; `JobState(12)` and `JobState(-1)` raise ValueError, `JobState[\"SUCCEEDED\"]`",
        "  KeyError, `JobState.SUCCEEDED` AttributeError (JS104).",
        "- A message stores any int silently: `job.state = 99` reads back as the plain int 99 (JS104).",
        "",
        "## 3. Which objects carry which enum",
        "",
        "- v1 JobState: GAPIC `JobServiceClient` getters (`get_custom_job`, `get_batch_prediction_job`, ...) and",
        "  the `aiplatform_v1` job messages; v1beta1 JobState: everything from `aiplatform_v1beta1`.",
        "- PipelineState: `aiplatform.PipelineJob`, the training-job classes (training pipelines),",
        "  `PipelineServiceClient.get_pipeline_job` / `get_training_pipeline`.",
        "- The SDK resource classes (`aiplatform.CustomJob`, `BatchPredictionJob`, ...) switch to the v1beta1 API for",
        "  some features, so their `.state` may be of either twin: the tool knows the family (JobState or",
        "  PipelineState) but not the version, and offers no fix that spells a member for them.",
        "",
        "SDK resource classes the tool knows:",
        "",
        ", ".join(f"`{p.rsplit('.', 1)[-1]}`" for p in sorted({p for p in model.SDK_CLASSES
                                                              if p.startswith("google.cloud.aiplatform.")
                                                              and p.count(".") == 3})),
        "",
        "## 4. Look-alikes that are not Vertex proto states",
        "",
        f"- google-genai's `JobState` ({', '.join('`' + s + '`' for s in genai.spellings[:2])}, ...) is a **str** enum"
        f" with the same {len(genai.members)} names: `== \"JOB_STATE_SUCCEEDED\"` is right there and never flagged.",
        f"- Dataflow's `JobState` (`{dataflow.spellings[0]}`) has different ints for the same names:",
        "",
        "| Dataflow member | int | the Vertex JobState member with that int |",
        "|---|---|---|",
        *[f"| `{m}` | {v} | `{job.member_for_int(v) or '-'}` |" for m, v in dataflow.members.items()],
        "",
        "  Rewriting a Dataflow int as a Vertex member would change its meaning: fixes never touch them.",
        "- Other products' enums the tool knows (so JS105 can name them): "
        + ", ".join(e.display for e in model.OTHER_ENUMS) + ".",
        "",
        "## 5. The state machine",
        "",
        f"- Terminal JobState states: {_short(job, model.terminal_members(job))};"
        f" PipelineState: {_short(pipe, model.terminal_members(pipe))}.",
        f"- Active states (the job is alive): {_short(job, model.active_members(job))}.",
        "- Documented transitions: " + "; ".join(f"{a} -> {b}" for a, b in model.documented_edges(job)) + ".",
        "  CANCELLING leads only to SUCCEEDED, FAILED or CANCELLED; UPDATING only from and back to RUNNING; PAUSED",
        "  resumes to QUEUED; terminal states have no way out. Pictures and the full relation: [state-machine.md](state-machine.md).",
        f"- `--jobstate-terminal-states` accepts the states that can end a wait: {', '.join(sorted(model.WAIT_END_SHORT))}.",
        "",
        "## 6. The SDK's own state sets are incomplete",
        "",
        "The SDK's waits stop on these sets; a job that ends in a state a completion set lacks keeps them polling",
        "(JS204 reports such sets in your code; JS202 loops that use them).",
        "",
        *_sdk_sets(),
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    from .machine_doc import generated_doc_main

    return generated_doc_main(argv, "flake8_jobstate.facts_doc", __doc__.splitlines()[0], DEFAULT_PATH, render())


if __name__ == "__main__":
    sys.exit(main())
