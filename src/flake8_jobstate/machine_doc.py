"""docs/state-machine.md: the state machine the JS2xx rules enforce, drawn from the model.

Regenerate with ``python -m flake8_jobstate.machine_doc`` (``--check`` exits 1 when the file is stale).
Everything in the page comes from :mod:`flake8_jobstate.model`: the documented edges, the terminal and active
sets, and the full ``transition_allowed`` relation, so the picture cannot drift from what the linter checks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import model
from .model import EnumClass

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "state-machine.md"

_FAMILIES: tuple[tuple[str, EnumClass], ...] = (("JobState", model.V1_JOB), ("PipelineState", model.V1_PIPELINE))


def _short(cls: EnumClass, members: list[str]) -> list[str]:
    return [cls.short(m) for m in members]


def mermaid(cls: EnumClass) -> str:
    """A Mermaid state diagram: documented edges, terminal states marked and leading to the end marker."""
    terminal = set(_short(cls, sorted(model.terminal_members(cls), key=list(cls.members).index)))
    active = set(_short(cls, sorted(model.active_members(cls), key=list(cls.members).index)))
    lines = ["```mermaid", "stateDiagram-v2", "    direction LR"]
    for src, dst in model.documented_edges(cls):
        lines.append(f"    {src} --> {dst}")
    for m in _short(cls, list(cls.members)):
        if m in terminal:
            lines.append(f"    {m} --> [*]")
    lines.append("    classDef terminal fill:#e8f5e9,stroke:#2e7d32,font-weight:bold")
    lines.append("    classDef active fill:#e3f2fd,stroke:#1565c0")
    order = _short(cls, list(cls.members))
    lines.append("    class " + ",".join(m for m in order if m in terminal) + " terminal")
    lines.append("    class " + ",".join(m for m in order if m in active) + " active")
    lines.append("```")
    return "\n".join(lines)


def successors_table(cls: EnumClass) -> str:
    """What JS201 accepts after each state (``transition_allowed``; repeating a state is always allowed)."""
    members = list(cls.members)
    rows = ["| from | may move to |", "|---|---|"]
    for src in members:
        others = [d for d in members if d != src]
        allowed = [d for d in others if model.transition_allowed(cls, src, d)]
        denied = [d for d in others if d not in allowed]
        if not allowed:
            text = "nothing (terminal)"
        elif not denied:
            text = "any other state"
        elif len(denied) < len(allowed):
            text = "any other state except " + ", ".join(_short(cls, denied))
        else:
            text = "only " + ", ".join(_short(cls, allowed))
        rows.append(f"| {cls.short(src)} | {text} |")
    return "\n".join(rows)


def render() -> str:
    out = [
        "<!-- generated from src/flake8_jobstate/model.py by `python -m flake8_jobstate.machine_doc`; do not edit -->",
        "# The state machine",
        "",
        "The documented Vertex AI job lifecycle, as the JS2xx rules enforce it (facts:",
        "[facts.md](facts.md), \"The state machine\"). Arrows are the documented transitions; terminal states",
        "(bold, green) lead to the end marker; active states (blue) are those in which the job is alive.",
        "Any other move between non-special states is allowed too; the tables list the full relation JS201 checks.",
        "The v1beta1 classes and google-genai's str `JobState` follow the same machine as their v1 twin.",
        "",
    ]
    for title, cls in _FAMILIES:
        order = list(cls.members)
        terminal = sorted(model.terminal_members(cls), key=order.index)
        active = sorted(model.active_members(cls), key=order.index)
        out += [
            f"## {title}",
            "",
            mermaid(cls),
            "",
            f"- Terminal (wait loops must stop on all of them, JS202/JS204/JS205): {', '.join(_short(cls, terminal))}.",
            f"- Active (a wait for the end must not stop on them, JS203/JS204): {', '.join(_short(cls, active))}.",
            f"- A job can be in (a map looked up with a state must cover them all, JS206): every state but"
            f" {', '.join(_short(cls, sorted(set(cls.members) - model.possible_members(cls), key=order.index)))}.",
            "- `--jobstate-terminal-states` adds states that also end a wait (for example PAUSED); it does not change",
            "  the transitions.",
            "",
            successors_table(cls),
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def generated_doc_main(argv: list[str] | None, module: str, description: str, default: Path, text: str) -> int:
    """``python -m MODULE [PATH] [--check]`` for a generated doc: write ``text`` to PATH, or with ``--check``
    exit 1 when PATH differs from it (facts_doc uses it too)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("path", nargs="?", type=Path, default=default)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale instead of writing it")
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8") if args.path.exists() else None
    if args.check:
        if current != text:
            print(f"{args.path} is stale: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return generated_doc_main(argv, "flake8_jobstate.machine_doc", __doc__.splitlines()[0], DEFAULT_PATH, render())


if __name__ == "__main__":
    raise SystemExit(main())
