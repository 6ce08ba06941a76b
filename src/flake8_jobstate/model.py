"""The JobState domain model: the one home of every enum fact the rules use.

Every fact here was measured on the real SDKs, is written up for users in ``docs/facts.md`` (generated from
this module by ``python -m flake8_jobstate.facts_doc``) and is re-checked against the installed SDKs by
``tests/test_truth.py``. Nothing else in the package spells a
member name, an int, an import path or a transition: rules, resolver, codemod and docs read them here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Mapping, Optional

# ---------------------------------------------------------------------------------------------------------------
# Enum classes
# ---------------------------------------------------------------------------------------------------------------

_STATE_SUFFIXES = (
    "UNSPECIFIED",
    "QUEUED",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELLING",
    "CANCELLED",
    "PAUSED",
    "EXPIRED",
    "UPDATING",
    "PARTIALLY_SUCCEEDED",
)

JOB_MEMBERS: dict[str, int] = {f"JOB_STATE_{s}": i for i, s in enumerate(_STATE_SUFFIXES)}
PIPELINE_MEMBERS: dict[str, int] = {f"PIPELINE_STATE_{s}": i for i, s in enumerate(_STATE_SUFFIXES[:9])}
DATAFLOW_MEMBERS: dict[str, int] = {
    f"JOB_STATE_{s}": i
    for i, s in enumerate(
        (
            "UNKNOWN",
            "STOPPED",
            "RUNNING",
            "DONE",
            "FAILED",
            "CANCELLED",
            "UPDATED",
            "DRAINING",
            "DRAINED",
            "PENDING",
            "CANCELLING",
            "QUEUED",
            "RESOURCE_CLEANING_UP",
            "PAUSING",
            "PAUSED",
        )
    )
}

# Kinds of enum class.
PROTO = "proto"  # the four Vertex proto-plus IntEnums
STR = "str"  # google-genai's str enum with the same names
FOREIGN = "foreign"  # look-alikes from other products: never Vertex states, but known so JS105 can name them


@dataclass(frozen=True)
class EnumClass:
    """One enum class, identified by its runtime ``module.qualname``."""

    key: str  # short stable id, e.g. "v1.JobState"
    qualname: str  # runtime module.qualname
    name: str  # class name as users spell it ("JobState")
    display: str  # how messages name it ("JobState", "v1beta1 JobState", "Dataflow JobState")
    kind: str  # PROTO | STR | FOREIGN
    members: Mapping[str, int | str] = field(hash=False, compare=False)
    prefix: str = ""
    family: str = ""  # "job" | "pipeline" | other: selects the state machine
    version: str = ""  # "v1" | "v1beta1" for Vertex proto classes
    spellings: tuple[str, ...] = ()  # every qualified path that reaches the class itself

    @property
    def is_vertex_proto(self) -> bool:
        return self.kind == PROTO

    @property
    def has_machine(self) -> bool:
        """JS2xx apply: the four proto enums and google-genai's str JobState."""
        return self.kind in (PROTO, STR)

    def value_of(self, member: str) -> int | str:
        return self.members[member]

    def member_for_int(self, value: int) -> str | None:
        for name, v in self.members.items():
            if v == value and isinstance(v, int):
                return name
        return None

    def int_range(self) -> tuple[int, int]:
        ints = [v for v in self.members.values() if isinstance(v, int)]
        return min(ints), max(ints)

    def short(self, member: str) -> str:
        """``JOB_STATE_SUCCEEDED`` -> ``SUCCEEDED``."""
        return member[len(self.prefix) :] if member.startswith(self.prefix) else member

    def full(self, short_name: str) -> str | None:
        """The member whose name is ``short_name`` with any known state prefix swapped for ours."""
        base = short_name
        for p in _ALL_PREFIXES:
            if base.startswith(p):
                base = base[len(p) :]
                break
        candidate = self.prefix + base
        return candidate if candidate in self.members else None

    def closest(self, name: str) -> str | None:
        """The member closest to a misspelled name (for JS104 hints)."""
        exact = self.full(name)
        if exact is not None:
            return exact
        # CANCELED/CANCELLED, DONE/SUCCEEDED: prefer a close spelling, then a meaning.
        for wrong, right in _SYNONYMS.items():
            if name.endswith(wrong):
                fixed = self.full(name[: -len(wrong)] + right)
                if fixed is not None:
                    return fixed
        matches = difflib.get_close_matches(name, list(self.members), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def __repr__(self) -> str:  # short, for debugging and test ids
        return f"<EnumClass {self.key}>"


_ALL_PREFIXES = ("JOB_STATE_", "PIPELINE_STATE_")
_SYNONYMS = {"DONE": "SUCCEEDED", "SUCCESS": "SUCCEEDED", "CANCELED": "CANCELLED", "ERROR": "FAILED"}

_GAPIC = "google.cloud.aiplatform.gapic"
_COMPAT = "google.cloud.aiplatform.compat.types"


def _vertex_spellings(version: str, module: str, cls: str) -> tuple[str, ...]:
    pkg = f"google.cloud.aiplatform_{version}"
    out = [f"{pkg}.{cls}", f"{pkg}.types.{cls}", f"{pkg}.types.{module}.{cls}", f"{_COMPAT}.{module}_{version}.{cls}"]
    if version == "v1":
        out += [f"{_GAPIC}.{cls}", f"{_GAPIC}.v1.{cls}", f"{_COMPAT}.{module}.{cls}"]
    return tuple(out)


V1_JOB = EnumClass(
    key="v1.JobState",
    qualname="google.cloud.aiplatform_v1.types.job_state.JobState",
    name="JobState",
    display="JobState",
    kind=PROTO,
    members=JOB_MEMBERS,
    prefix="JOB_STATE_",
    family="job",
    version="v1",
    spellings=_vertex_spellings("v1", "job_state", "JobState") + ("google.cloud.aiplatform.jobs.gca_job_state.JobState",),
)
V1BETA1_JOB = EnumClass(
    key="v1beta1.JobState",
    qualname="google.cloud.aiplatform_v1beta1.types.job_state.JobState",
    name="JobState",
    display="v1beta1 JobState",
    kind=PROTO,
    members=JOB_MEMBERS,
    prefix="JOB_STATE_",
    family="job",
    version="v1beta1",
    spellings=_vertex_spellings("v1beta1", "job_state", "JobState")
    + ("google.cloud.aiplatform.jobs.gca_job_state_v1beta1.JobState",),
)
V1_PIPELINE = EnumClass(
    key="v1.PipelineState",
    qualname="google.cloud.aiplatform_v1.types.pipeline_state.PipelineState",
    name="PipelineState",
    display="PipelineState",
    kind=PROTO,
    members=PIPELINE_MEMBERS,
    prefix="PIPELINE_STATE_",
    family="pipeline",
    version="v1",
    spellings=_vertex_spellings("v1", "pipeline_state", "PipelineState"),
)
V1BETA1_PIPELINE = EnumClass(
    key="v1beta1.PipelineState",
    qualname="google.cloud.aiplatform_v1beta1.types.pipeline_state.PipelineState",
    name="PipelineState",
    display="v1beta1 PipelineState",
    kind=PROTO,
    members=PIPELINE_MEMBERS,
    prefix="PIPELINE_STATE_",
    family="pipeline",
    version="v1beta1",
    spellings=_vertex_spellings("v1beta1", "pipeline_state", "PipelineState"),
)
# google-genai, vertexai._genai and agentplatform._genai each define their own str JobState class; str enums
# with the same values compare equal to each other and to plain strings, so the model treats them as one.
GENAI_JOB = EnumClass(
    key="genai.JobState",
    qualname="google.genai.types.JobState",
    name="JobState",
    display="google-genai JobState",
    kind=STR,
    members={m: m for m in JOB_MEMBERS},
    prefix="JOB_STATE_",
    family="job",
    spellings=(
        "google.genai.types.JobState",
        "vertexai._genai.types.JobState",
        "vertexai._genai.types.common.JobState",
        "vertexai.types.JobState",
        "agentplatform._genai.types.JobState",
        "agentplatform._genai.types.common.JobState",
    ),
)
DATAFLOW_JOB = EnumClass(
    key="dataflow.JobState",
    qualname="google.cloud.dataflow_v1beta3.types.jobs.JobState",
    name="JobState",
    display="Dataflow JobState",
    kind=FOREIGN,
    members=DATAFLOW_MEMBERS,
    prefix="JOB_STATE_",
    family="dataflow",
    spellings=(
        "google.cloud.dataflow_v1beta3.JobState",
        "google.cloud.dataflow_v1beta3.types.JobState",
        "google.cloud.dataflow_v1beta3.types.jobs.JobState",
        "google.cloud.dataflow.JobState",
    ),
)


def _foreign(qualname: str, display: str, members: Mapping[str, int], extra: tuple[str, ...] = ()) -> EnumClass:
    """A GAPIC enum of another product: reached through ``pkg.X``, ``pkg.types.X`` and ``pkg.types.mod.X``."""
    head, _, tail = qualname.partition(".types.")
    mod, _, inner = tail.partition(".")
    spellings = (qualname, f"{head}.{inner}", f"{head}.types.{inner}") + extra
    return EnumClass(
        key=qualname,
        qualname=qualname,
        name=inner.rsplit(".", 1)[-1],
        display=display,
        kind=FOREIGN,
        members=members,
        family="foreign",
        spellings=spellings,
    )


OTHER_ENUMS: tuple[EnumClass, ...] = (
    _foreign(
        "google.cloud.batch_v1.types.job.JobStatus.State",
        "Batch JobStatus.State",
        {
            "STATE_UNSPECIFIED": 0,
            "QUEUED": 1,
            "SCHEDULED": 2,
            "RUNNING": 3,
            "SUCCEEDED": 4,
            "FAILED": 5,
            "DELETION_IN_PROGRESS": 6,
            "CANCELLATION_IN_PROGRESS": 7,
            "CANCELLED": 8,
        },
    ),
    _foreign(
        "google.cloud.dataproc_v1.types.jobs.JobStatus.State",
        "Dataproc JobStatus.State",
        {
            "STATE_UNSPECIFIED": 0,
            "PENDING": 1,
            "SETUP_DONE": 8,
            "RUNNING": 2,
            "CANCEL_PENDING": 3,
            "CANCEL_STARTED": 7,
            "CANCELLED": 4,
            "DONE": 5,
            "ERROR": 6,
            "ATTEMPT_FAILURE": 9,
        },
    ),
    _foreign(
        "google.cloud.dataproc_v1.types.batches.Batch.State",
        "Dataproc Batch.State",
        {"STATE_UNSPECIFIED": 0, "PENDING": 1, "RUNNING": 2, "CANCELLING": 3, "CANCELLED": 4, "SUCCEEDED": 5, "FAILED": 6},
    ),
    # google-cloud-notebooks 1.13.0 (notebooks_v1/types/execution.py); ``google.cloud.notebooks`` re-exports it
    _foreign(
        "google.cloud.notebooks_v1.types.execution.Execution.State",
        "Notebooks Execution.State",
        {
            "STATE_UNSPECIFIED": 0,
            "QUEUED": 1,
            "PREPARING": 2,
            "RUNNING": 3,
            "SUCCEEDED": 4,
            "FAILED": 5,
            "CANCELLING": 6,
            "CANCELLED": 7,
            "EXPIRED": 9,
            "INITIALIZING": 10,
        },
        extra=("google.cloud.notebooks.Execution.State",),
    ),
)

VERTEX_PROTO: tuple[EnumClass, ...] = (V1_JOB, V1BETA1_JOB, V1_PIPELINE, V1BETA1_PIPELINE)
ALL_ENUMS: tuple[EnumClass, ...] = VERTEX_PROTO + (GENAI_JOB, DATAFLOW_JOB) + OTHER_ENUMS
BY_KEY: dict[str, EnumClass] = {e.key: e for e in ALL_ENUMS}

_CLASS_BY_PATH: dict[str, EnumClass] = {p: e for e in ALL_ENUMS for p in e.spellings}


def twins(a: EnumClass, b: EnumClass) -> bool:
    """v1 and v1beta1 of the same family: distinct classes, but a container may list both on purpose."""
    return a.kind == b.kind == PROTO and a.family == b.family


def import_module(cls: EnumClass) -> str | None:
    """The module a fix imports ``cls`` from when the file has no spelling of it (Vertex proto classes only)."""
    return f"google.cloud.aiplatform_{cls.version}" if cls.kind == PROTO and cls.version else None


def one_class(classes: Iterable[EnumClass]) -> bool:
    """All the same class, or the v1/v1beta1 twins of one family (a value of "one class, version unknown")."""
    cs = list(set(classes))
    return bool(cs) and all(twins(cs[0], c) for c in cs[1:])


def class_for_path(path: str, extra_modules: Mapping[str, str] | None = None) -> EnumClass | None:
    """The enum class a fully qualified dotted path reaches, or None."""
    found = _CLASS_BY_PATH.get(path)
    if found is not None or not extra_modules:
        return found
    module, _, name = path.rpartition(".")
    version = extra_modules.get(module)
    if version is None:
        return None
    for e in VERTEX_PROTO:
        if e.name == name and e.version == version:
            return e
    return None


# ---------------------------------------------------------------------------------------------------------------
# The state machine (docs/facts.md §5)
# ---------------------------------------------------------------------------------------------------------------

TERMINAL_SHORT: dict[str, frozenset[str]] = {
    "job": frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "PARTIALLY_SUCCEEDED"}),
    "pipeline": frozenset({"SUCCEEDED", "FAILED", "CANCELLED"}),
}
ACTIVE_SHORT: frozenset[str] = frozenset({"QUEUED", "PENDING", "RUNNING", "CANCELLING", "UPDATING"})
"""States in which the job is alive and will still change (for PipelineState: those of its members)."""

WAIT_END_SHORT: frozenset[str] = frozenset(TERMINAL_SHORT["job"] | {"PAUSED"})
"""States a wait may stop on (``--jobstate-terminal-states`` accepts these): the terminal states, and PAUSED,
where the job stops without ending (it resumes to QUEUED). Active states and UNSPECIFIED cannot end a job."""


def why_not_wait_end(short: str) -> str:
    return "an active state: the job is still alive" if short in ACTIVE_SHORT else "not a state a job ends in"


# Allowed successors, by short name. A state absent as a key may move to any non-special state.
_CANCELLING_TO = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def terminal_members(cls: EnumClass, extra_terminal: Iterable[str] = ()) -> frozenset[str]:
    """Full member names of ``cls`` that end a job (plus configured extras such as PAUSED)."""
    shorts = set(TERMINAL_SHORT.get(cls.family, frozenset())) | {s.upper() for s in extra_terminal}
    return frozenset(m for m in (cls.full(s) for s in shorts) if m is not None)


def active_members(cls: EnumClass) -> frozenset[str]:
    return frozenset(m for m in (cls.full(s) for s in ACTIVE_SHORT) if m is not None)


def possible_members(cls: EnumClass) -> frozenset[str]:
    """Members a job read from the service can be in: all but UNSPECIFIED (only a default-constructed message
    has it, never a created job)."""
    return frozenset(m for m in cls.members if cls.short(m) != "UNSPECIFIED")


def transition_allowed(cls: EnumClass, src: str, dst: str, extra_terminal: Iterable[str] = ()) -> bool:
    """Whether the service can move a job of ``cls`` from member ``src`` to member ``dst``.

    Documented machine: CANCELLING -> only SUCCEEDED/FAILED/CANCELLED; UPDATING only from RUNNING and back
    to RUNNING; terminal states have no way out. Repeating a state is always allowed. PAUSED resumes to QUEUED.
    """
    if src == dst:
        return True
    s, d = cls.short(src), cls.short(dst)
    if src in terminal_members(cls) or s in {t.upper() for t in extra_terminal}:
        return False
    if s == "CANCELLING":
        return d in _CANCELLING_TO
    if s == "UPDATING":
        return d == "RUNNING"
    if d == "UPDATING":
        return s == "RUNNING"
    return True


def documented_edges(cls: EnumClass) -> list[tuple[str, str]]:
    """The explicitly documented transitions, for the state-machine picture."""
    edges = [("CANCELLING", t) for t in sorted(_CANCELLING_TO)]
    if cls.full("UPDATING"):
        edges += [("RUNNING", "UPDATING"), ("UPDATING", "RUNNING")]
    edges += [("PAUSED", "QUEUED")]
    edges += [("QUEUED", "PENDING"), ("PENDING", "RUNNING")]
    edges += [("RUNNING", t) for t in sorted(TERMINAL_SHORT[cls.family])]
    edges += [("RUNNING", "CANCELLING")]
    return edges


# ---------------------------------------------------------------------------------------------------------------
# Which objects carry which enum (docs/facts.md §3)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """Something whose ``state_attr`` holds a value of ``enum``."""

    name: str
    enum: EnumClass
    state_attr: str = "state"
    is_message: bool = False  # a proto-plus message: ``state=`` in its constructor is a state
    twin: Optional[EnumClass] = None  # API version unknown: the state is of ``enum`` or of this twin

    @property
    def enums(self) -> frozenset[EnumClass]:
        return frozenset({self.enum, self.twin}) if self.twin is not None else frozenset({self.enum})


# SDK resource classes of google.cloud.aiplatform (module attribute -> enum).
_SDK_JOBS_V1 = ("CustomJob", "BatchPredictionJob", "HyperparameterTuningJob", "ModelDeploymentMonitoringJob")
_SDK_PIPELINES = (
    "PipelineJob",
    "CustomTrainingJob",
    "CustomContainerTrainingJob",
    "CustomPythonPackageTrainingJob",
    "AutoMLTabularTrainingJob",
    "AutoMLForecastingTrainingJob",
    "AutoMLImageTrainingJob",
    "AutoMLTextTrainingJob",
    "AutoMLVideoTrainingJob",
    "SequenceToSequencePlusForecastingTrainingJob",
    "TemporalFusionTransformerForecastingTrainingJob",
    "TimeSeriesDenseEncoderForecastingTrainingJob",
)
# GAPIC message names (proto-plus) -> family.
_JOB_MESSAGES = (
    "CustomJob",
    "BatchPredictionJob",
    "HyperparameterTuningJob",
    "DataLabelingJob",
    "NasJob",
    "TuningJob",
    "ModelDeploymentMonitoringJob",
)
_PIPELINE_MESSAGES = ("PipelineJob", "TrainingPipeline")
_MESSAGE_MODULES = {
    "CustomJob": "custom_job",
    "BatchPredictionJob": "batch_prediction_job",
    "HyperparameterTuningJob": "hyperparameter_tuning_job",
    "DataLabelingJob": "data_labeling_job",
    "NasJob": "nas_job",
    "TuningJob": "tuning_job",
    "ModelDeploymentMonitoringJob": "model_deployment_monitoring_job",
    "PipelineJob": "pipeline_job",
    "TrainingPipeline": "training_pipeline",
    "NotebookExecutionJob": "notebook_execution_job",
}

# The SDK's resource classes wrap a v1 resource. Only ``BatchPredictionJob`` can switch to the v1beta1 API
# (``create(model_monitoring_objective_config=...)`` selects v1beta1 in jobs.py; ``preview.jobs.BatchPredictionJob``
# inherits it), so its ``.state`` is of either twin: JS105 sees the family only, and no fix spells a member for
# it. Every other class is v1 exactly (tests/test_truth.py reads the installed SDK's source to pin this).
SDK_SWITCHES_VERSION: frozenset[str] = frozenset({"BatchPredictionJob"})
SDK_CLASSES: dict[str, JobKind] = {}
for _n in _SDK_JOBS_V1:
    for _p in ("google.cloud.aiplatform", "google.cloud.aiplatform.jobs"):
        SDK_CLASSES[f"{_p}.{_n}"] = JobKind(_n, V1_JOB, twin=V1BETA1_JOB if _n in SDK_SWITCHES_VERSION else None)
for _n in _SDK_PIPELINES:
    _home = "google.cloud.aiplatform.pipeline_jobs" if _n == "PipelineJob" else "google.cloud.aiplatform.training_jobs"
    for _p in ("google.cloud.aiplatform", _home):
        SDK_CLASSES[f"{_p}.{_n}"] = JobKind(_n, V1_PIPELINE)
SDK_CLASSES["google.cloud.aiplatform.preview.jobs.BatchPredictionJob"] = JobKind(
    "BatchPredictionJob", V1_JOB, twin=V1BETA1_JOB)
SDK_CLASSES["google.cloud.aiplatform.preview.jobs.HyperparameterTuningJob"] = JobKind(
    "HyperparameterTuningJob", V1_JOB, twin=V1BETA1_JOB)  # selects v1beta1 for some calls: either twin
# Its property is annotated with the v1 enum, but the value comes from a v1beta1 resource (measured).
SDK_CLASSES["google.cloud.aiplatform.preview.jobs.CustomJob"] = JobKind("CustomJob", V1BETA1_JOB)
for _p in ("vertexai.tuning", "vertexai.preview.tuning", "vertexai.tuning._tuning"):
    SDK_CLASSES[f"{_p}.TuningJob"] = JobKind("TuningJob", V1BETA1_JOB)
for _p in ("vertexai.tuning.sft", "vertexai.preview.tuning.sft"):
    SDK_CLASSES[f"{_p}.SupervisedTuningJob"] = JobKind("SupervisedTuningJob", V1BETA1_JOB)

# Functions whose result is a job: ``sft.train(...)`` returns a v1beta1 tuning job.
SDK_FACTORIES: dict[str, JobKind] = {
    f"{p}.{f}": JobKind("SupervisedTuningJob", V1BETA1_JOB)
    for p in ("vertexai.tuning.sft", "vertexai.preview.tuning.sft")
    for f in ("train", "preview_train")
}

# Class methods of SDK resources whose result is (a list of) that resource.
SDK_INSTANCE_METHODS = frozenset({"get", "create"})
SDK_LIST_METHODS = frozenset({"list"})


_NOT_IN_COMPAT = frozenset({"NasJob", "TuningJob", "NotebookExecutionJob"})  # google.cloud.aiplatform.compat.types lacks them


def _message_paths() -> dict[str, JobKind]:
    out: dict[str, JobKind] = {}
    for version, job_enum, pipe_enum in (("v1", V1_JOB, V1_PIPELINE), ("v1beta1", V1BETA1_JOB, V1BETA1_PIPELINE)):
        pkg = f"google.cloud.aiplatform_{version}"
        names = [(n, job_enum, "state") for n in _JOB_MESSAGES] + [(n, pipe_enum, "state") for n in _PIPELINE_MESSAGES]
        names.append(("NotebookExecutionJob", job_enum, "job_state"))
        for n, enum, attr in names:
            mod = _MESSAGE_MODULES[n]
            kind = JobKind(n, enum, attr, is_message=True)
            paths = [f"{pkg}.{n}", f"{pkg}.types.{n}", f"{pkg}.types.{mod}.{n}"]
            if n not in _NOT_IN_COMPAT:
                paths.append(f"{_COMPAT}.{mod}_{version}.{n}")
            if version == "v1":
                paths += [f"{_GAPIC}.{n}", f"{_GAPIC}.v1.{n}"]
                if n not in _NOT_IN_COMPAT:
                    paths.append(f"{_COMPAT}.{mod}.{n}")
            for p in paths:
                out[p] = kind
    return out


MESSAGE_CLASSES: dict[str, JobKind] = _message_paths()

# GAPIC clients: path -> version; their ``get_X``/``create_X`` return the message X of that version.
_CLIENT_NAMES = (
    "JobServiceClient",
    "JobServiceAsyncClient",
    "PipelineServiceClient",
    "PipelineServiceAsyncClient",
    "GenAiTuningServiceClient",
    "GenAiTuningServiceAsyncClient",
    "NotebookServiceClient",
    "NotebookServiceAsyncClient",
)
_CLIENT_SERVICE_MODULE = {
    "JobService": "job_service",
    "PipelineService": "pipeline_service",
    "GenAiTuningService": "gen_ai_tuning_service",
    "NotebookService": "notebook_service",
}


def _client_paths() -> dict[str, str]:
    out: dict[str, str] = {}
    for version in ("v1", "v1beta1"):
        pkg = f"google.cloud.aiplatform_{version}"
        for c in _CLIENT_NAMES:
            svc = c.replace("AsyncClient", "").replace("Client", "")
            mod = _CLIENT_SERVICE_MODULE[svc]
            paths = [f"{pkg}.{c}", f"{pkg}.services.{mod}.{c}"]
            if version == "v1":
                paths += [f"{_GAPIC}.{c}", f"{_GAPIC}.v1.{c}"]
            for p in paths:
                out[p] = version
    return out


CLIENT_CLASSES: dict[str, str] = _client_paths()


def client_method_result(version: str, method: str) -> JobKind | None:
    """``client.get_custom_job(...)`` -> the CustomJob message kind of that version."""
    for verb in ("get_", "create_"):
        if method.startswith(verb):
            snake = method[len(verb) :]
            for cls_name, mod in _MESSAGE_MODULES.items():
                if mod == snake:
                    return MESSAGE_CLASSES[f"google.cloud.aiplatform_{version}.types.{mod}.{cls_name}"]
    return None


def getter_by_name(method: str) -> JobKind | None:
    """``<unknown>.get_custom_job(...)``: the GAPIC getter names of Vertex job messages are specific enough to
    tell the family (JobState or PipelineState) even when the client is not known; the API version is not
    known, so the value is of either twin (fixes then never spell a member, JS105 still sees the family)."""
    if not method.startswith("get_"):
        return None
    k1, k2 = client_method_result("v1", method), client_method_result("v1beta1", method)
    if k1 is None or k2 is None:
        return None
    return JobKind(k1.name, k1.enum, k1.state_attr, is_message=True, twin=k2.enum)


# google-genai: ``genai.Client().batches.get(...)`` / ``.tunings.get(...)`` carry the str JobState.
GENAI_CLIENTS = frozenset({"google.genai.Client", "google.genai.client.Client"})
GENAI_JOB_SERVICES = frozenset({"batches", "tunings"})
GENAI_JOB_METHODS = frozenset({"get", "create", "tune", "create_embeddings"})
GENAI_KIND = JobKind("BatchJob", GENAI_JOB)


def object_kind_for_path(path: str) -> JobKind | None:
    """An SDK resource class or a proto message class reached by ``path``."""
    return SDK_CLASSES.get(path) or MESSAGE_CLASSES.get(path)


# ---------------------------------------------------------------------------------------------------------------
# The SDK's own state sets (docs/facts.md §6)
# ---------------------------------------------------------------------------------------------------------------

_JOB_COMPLETE = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_PAUSED")
_JOB_ERROR = ("JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
_JOB_PENDING = ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING", "JOB_STATE_UPDATING")
_PIPE_COMPLETE = ("PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED", "PIPELINE_STATE_PAUSED")


def _both(members: Iterable[str]) -> tuple[tuple[EnumClass, str], ...]:
    ms = tuple(members)
    return tuple((V1_JOB, m) for m in ms) + tuple((V1BETA1_JOB, m) for m in ms)


SDK_SETS: dict[str, tuple[tuple[EnumClass, str], ...]] = {
    "google.cloud.aiplatform.jobs._JOB_COMPLETE_STATES": _both(_JOB_COMPLETE),
    "google.cloud.aiplatform.jobs._JOB_ERROR_STATES": _both(_JOB_ERROR),
    "google.cloud.aiplatform.jobs._JOB_PENDING_STATES": _both(_JOB_PENDING),
    "google.cloud.aiplatform.preview.jobs._JOB_COMPLETE_STATES": _both(_JOB_COMPLETE),
    "google.cloud.aiplatform.preview.jobs._JOB_ERROR_STATES": _both(_JOB_ERROR),
    "google.cloud.aiplatform.constants.pipeline._PIPELINE_COMPLETE_STATES": tuple((V1_PIPELINE, m) for m in _PIPE_COMPLETE),
    "google.cloud.aiplatform.constants.pipeline._PIPELINE_ERROR_STATES": ((V1_PIPELINE, "PIPELINE_STATE_FAILED"),),
    "google.cloud.aiplatform.pipeline_jobs._PIPELINE_COMPLETE_STATES": tuple((V1_PIPELINE, m) for m in _PIPE_COMPLETE),
    "google.cloud.aiplatform.pipeline_jobs._PIPELINE_ERROR_STATES": ((V1_PIPELINE, "PIPELINE_STATE_FAILED"),),
    "google.cloud.aiplatform.training_jobs._PIPELINE_COMPLETE_STATES": tuple((V1_PIPELINE, m) for m in _PIPE_COMPLETE),
    "vertexai.resources.preview.ml_monitoring.model_monitors._JOB_COMPLETE_STATES": tuple(
        (V1BETA1_JOB, m) for m in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_PARTIALLY_SUCCEEDED")
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Enum paths that do not exist (JS107)
# ---------------------------------------------------------------------------------------------------------------

# The modules whose state-enum names the model knows completely: every module that holds a spelling of a Vertex
# proto enum, plus the top-level package, which holds none (``aiplatform.JobState`` is an AttributeError) and the
# compat package, which holds only the ``job_state``/``pipeline_state`` modules. ``tests/test_truth.py`` checks,
# module by module, that the enum-like names the installed SDK has there are exactly the model's spellings.
ENUM_MODULES: frozenset[str] = frozenset(
    {s.rsplit(".", 1)[0] for e in VERTEX_PROTO for s in e.spellings} | {"google.cloud.aiplatform", _COMPAT}
)
_ENUM_CLASS_NAMES = tuple(sorted({e.name for e in VERTEX_PROTO}))
_ENUM_WORDS = ("stat", "tate")  # every spelling close to JobState / PipelineState keeps one of these


@lru_cache(maxsize=4096)
def enum_like(name: str) -> str | None:
    """The Vertex enum class a CamelCase ``name`` looks like (``JobStates`` -> ``JobState``), else None.

    Modules are lower case (``job_state``), so only names that start upper case count.
    """
    if not name[:1].isupper():
        return None
    low = name.lower().replace("_", "")
    if not any(w in low for w in _ENUM_WORDS):
        return None
    best, score = None, 0.0
    for cls_name in _ENUM_CLASS_NAMES:
        target = cls_name.lower()
        r = 1.0 if target in low else difflib.SequenceMatcher(None, low, target).ratio()
        if r > score:
            best, score = cls_name, r
    return best if score >= 0.85 else None


def missing_enum_path(path: str) -> str | None:
    """For a dotted path that names a state enum where the SDK has none, the class it means; else None.

    Only paths directly under a module of ``ENUM_MODULES`` are judged: elsewhere the model does not know
    every name, so nothing is claimed.
    """
    module, _, name = path.rpartition(".")
    if module not in ENUM_MODULES or path in _CLASS_BY_PATH:
        return None
    return enum_like(name)


def _segment_distance(a: list[str], b: list[str]) -> int:
    """Edit distance between two dotted paths, counted in whole segments."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def enum_path_suggestions(path: str) -> list[tuple[int, str]]:
    """Real spellings of the enum that ``path`` means, as (distance in segments, spelling), nearest first."""
    intended = missing_enum_path(path)
    if intended is None:
        return []
    parts = path.split(".")
    found = {s for e in VERTEX_PROTO if e.name == intended for s in e.spellings}
    return sorted(((_segment_distance(parts, s.split(".")), s) for s in found), key=lambda x: (x[0], len(x[1]), x[1]))


# Python, not Vertex: calls that never return, and the return annotations that say a function never returns.
# A call of either ends a wait loop as surely as ``raise`` (flow.py); the stubbing pass keeps that fact (engine.py).
EXIT_FUNCS: frozenset[str] = frozenset({"sys.exit", "exit", "quit", "os._exit", "os.abort"})
NO_RETURN_TYPES: frozenset[str] = frozenset({"NoReturn", "Never"})

# The prefilter: a file can hold a finding only if it imports one of these packages (every enum class,
# SDK resource, client and message is reached from them), or names something the user configured.
PREFILTER_CLASS_WORDS: tuple[str, ...] = ("JobState", "PipelineState")
PREFILTER_PACKAGE_WORDS: tuple[str, ...] = ("aiplatform", "vertexai", "genai")
VERTEX_PACKAGES: tuple[str, ...] = ("google.cloud.aiplatform", "vertexai", "google.genai", "agentplatform")
VERTEX_PACKAGES_FROM: tuple[tuple[str, str], ...] = (("google.cloud", "aiplatform"), ("google", "genai"))

# the top-level modules the google-cloud-aiplatform distribution ships: where one of them imports, the module a
# fix imports the proto enums from (``import_module``) imports too
SDK_DISTRIBUTION_MODULES: tuple[str, ...] = (
    "google.cloud.aiplatform", "google.cloud.aiplatform_v1", "google.cloud.aiplatform_v1beta1", "vertexai",
)


def ships_with_sdk(module: str) -> bool:
    """``module`` (dotted) is part of the google-cloud-aiplatform distribution."""
    return any(module == m or module.startswith(m + ".") for m in SDK_DISTRIBUTION_MODULES)
