"""User configuration shared by every front end (flake8 options, ``[tool.flake8-jobstate]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from . import model


DEFAULT_MAX_FILE_SIZE = 2_000_000


class ConfigError(ValueError):
    """A configuration value that cannot be understood (reported as a one-line message)."""


@dataclass(frozen=True)
class Config:
    # module path -> "v1" | "v1beta1": modules that re-export the Vertex enums (``mypkg.states.JobState``).
    extra_modules: Mapping[str, str] = field(default_factory=dict)
    # attribute name -> enum key: ``x.<name>`` holds a state of that enum wherever it appears.
    state_attributes: Mapping[str, str] = field(default_factory=dict)
    # short names of states that also end a wait (``PAUSED``), on top of the documented terminal states.
    extra_terminal_states: frozenset[str] = frozenset()
    # files longer than this (characters) are skipped, not parsed: libcst needs about 1 GB per MB; 0 = no limit
    max_file_size: int = DEFAULT_MAX_FILE_SIZE

    def __hash__(self) -> int:
        return hash(
            (tuple(sorted(self.extra_modules.items())), tuple(sorted(self.state_attributes.items())),
             self.extra_terminal_states, self.max_file_size)
        )

    @property
    def prefilter_words(self) -> tuple[str, ...]:
        words = list(model.PREFILTER_CLASS_WORDS) + list(model.PREFILTER_PACKAGE_WORDS)
        words += [m.rsplit(".", 1)[-1] for m in self.extra_modules]
        words += list(self.state_attributes)
        return tuple(dict.fromkeys(words))


_ENUM_ALIASES = {
    "jobstate": "v1.JobState",
    "v1.jobstate": "v1.JobState",
    "v1beta1.jobstate": "v1beta1.JobState",
    "pipelinestate": "v1.PipelineState",
    "v1.pipelinestate": "v1.PipelineState",
    "v1beta1.pipelinestate": "v1beta1.PipelineState",
}


def split_values(values: object, what: str) -> list[str]:
    """A comma/newline separated string or a list of strings -> the stripped, non-empty items; ConfigError
    (naming ``what``) on any other type."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.replace("\n", ",").split(",")
    elif not isinstance(values, (list, tuple)):
        raise ConfigError(f"{what}: expected a string or a list of strings, got {type(values).__name__} {values!r}")
    out = []
    for v in values:
        if not isinstance(v, str):
            raise ConfigError(f"{what}: expected strings, got {type(v).__name__} {v!r}")
        if v.strip():
            out.append(v.strip())
    return out


OPTION_NAMES = {
    "extra_modules": "jobstate-extra-modules",
    "state_attributes": "jobstate-state-attributes",
    "terminal_states": "jobstate-terminal-states",
    "max_file_size": "jobstate-max-file-size",
}


def build_config(
    extra_modules: str | Iterable[str] | None = None,
    state_attributes: str | Iterable[str] | None = None,
    terminal_states: str | Iterable[str] | None = None,
    max_file_size: str | int | None = None,
    names: Mapping[str, str] = OPTION_NAMES,
) -> Config:
    """Parse the option strings (comma or newline separated) into a Config; ConfigError on nonsense, its
    message starting with the option's name in ``names`` (a flag, or a config file and key)."""
    modules: dict[str, str] = {}
    what = names["extra_modules"]
    for item in split_values(extra_modules, what):
        mod, _, version = item.partition("=")
        version = version.strip() or "v1"
        if version not in ("v1", "v1beta1"):
            raise ConfigError(f"{what}: {item!r}: version must be v1 or v1beta1")
        if not mod.strip().replace(".", "").replace("_", "").isalnum():
            raise ConfigError(f"{what}: {item!r} is not a dotted module path")
        modules[mod.strip()] = version
    attrs: dict[str, str] = {}
    what = names["state_attributes"]
    for item in split_values(state_attributes, what):
        name, _, enum = item.partition("=")
        key = _ENUM_ALIASES.get((enum.strip() or "JobState").lower())
        if key is None:
            raise ConfigError(
                f"{what}: {item!r}: enum must be JobState, PipelineState, v1beta1.JobState"
                " or v1beta1.PipelineState"
            )
        if not name.strip().isidentifier():
            raise ConfigError(f"{what}: {item!r} is not an attribute name")
        attrs[name.strip()] = key
    terminal: set[str] = set()
    what = names["terminal_states"]
    allowed = ", ".join(sorted(model.WAIT_END_SHORT))
    for item in split_values(terminal_states, what):
        member = model.V1_JOB.full(item.upper())  # any known prefix (JOB_STATE_, PIPELINE_STATE_) or none
        if member is None:
            raise ConfigError(f"{what}: {item!r} is not a JobState member (states that can end a job: {allowed})")
        short = model.V1_JOB.short(member)
        if short not in model.WAIT_END_SHORT:
            raise ConfigError(f"{what}: {item!r} cannot end a job (it is {model.why_not_wait_end(short)}); "
                              f"states that can: {allowed}")
        terminal.add(short)
    return Config(extra_modules=modules, state_attributes=attrs, extra_terminal_states=frozenset(terminal),
                  max_file_size=parse_size(max_file_size, names["max_file_size"]))


def parse_size(value: str | int | None, what: str = "max-file-size") -> int:
    """``max-file-size``: characters, as an integer (0: no limit); None or "" gives the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_MAX_FILE_SIZE
    if isinstance(value, bool):
        raise ConfigError(f"{what}: {value!r} is not a number of characters")
    try:
        size = int(str(value).strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{what}: {value!r} is not a number of characters") from None
    if size < 0:
        raise ConfigError(f"{what}: {value!r} must be 0 (no limit) or more")
    return size


DEFAULT = Config()
