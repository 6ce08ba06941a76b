"""Program generators for the property tests (tests/test_properties.py), in one place so more can be added.

Two families, each a hypothesis strategy yielding ``Program(source, origin)``:

* ``mutated_fixtures()``: a fixture of this repository with a few random, meaning-changing edits (ints, operators,
  member names, state strings, lines dropped or repeated, the module moved into a function, its imports into
  ``try:``, functions turned into Kubeflow components). Most results compile; some do not, on purpose.
* ``generated_programs()``: hypothesmith's grammar-derived programs behind a Vertex prelude, so the prefilter
  lets them through and the resolver meets syntax no fixture has.

To add a family: write a strategy returning ``Program`` and list it in ``FAMILIES``; ``programs()`` draws from
every family. ``MUTATIONS`` lists the edits (name -> function(source, random) -> source); add one there.
"""

from __future__ import annotations

import random
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

from expectations import FIXTURES

# ---------------------------------------------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class Program:
    source: str
    origin: str  # what produced it: the fixture and the mutations, or "hypothesmith"


def _fixture_sources() -> list[tuple[str, str]]:
    out = []
    for p in sorted(FIXTURES.rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        if "jobstate-config:" not in text:  # fixtures that need options would be judged without them
            out.append((str(p.relative_to(FIXTURES)), text))
    return out


FIXTURE_SOURCES = _fixture_sources()

PRELUDE = """\
from google.cloud import aiplatform_v1
from google.cloud.aiplatform import gapic as aip

job = aiplatform_v1.JobServiceClient().get_custom_job(name="n")
if job.state == 4:
    pass
"""

# ---------------------------------------------------------------------------------------------------------------
# mutations: (source, rng) -> source


def _nth_sub(pattern: str, source: str, rng: random.Random, repl: Callable[[re.Match], str]) -> str:
    matches = list(re.finditer(pattern, source))
    if not matches:
        return source
    m = rng.choice(matches)
    return source[: m.start()] + repl(m) + source[m.end() :]


_MEMBERS = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_RUNNING",
            "JOB_STATE_PAUSED", "JOB_STATE_DONE", "PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "SUCCEEDED"]


def m_int(source: str, rng: random.Random) -> str:
    return _nth_sub(r"(?<![\w.])\d+(?![\w.])", source, rng, lambda m: str(rng.randint(-1, 15)))


def m_operator(source: str, rng: random.Random) -> str:
    return _nth_sub(r" (==|!=|>=|<=) ", source, rng, lambda m: " " + rng.choice(["==", "!=", ">=", "<="]) + " ")


def m_membership(source: str, rng: random.Random) -> str:
    return _nth_sub(r" (not in|in) \(", source, rng, lambda m: rng.choice([" in (", " not in ("]))


def m_member(source: str, rng: random.Random) -> str:
    return _nth_sub(r"\b(JOB|PIPELINE)_STATE_[A-Z_]+\b", source, rng, lambda m: rng.choice(_MEMBERS))


def m_string(source: str, rng: random.Random) -> str:
    return _nth_sub(r"\"[A-Z_]+\"", source, rng, lambda m: '"' + rng.choice(_MEMBERS) + '"')


def m_drop_line(source: str, rng: random.Random) -> str:
    lines = source.splitlines(keepends=True)
    if lines:
        del lines[rng.randrange(len(lines))]
    return "".join(lines)


def m_repeat_line(source: str, rng: random.Random) -> str:
    lines = source.splitlines(keepends=True)
    if lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    return "".join(lines)


def m_into_function(source: str, rng: random.Random) -> str:
    """The whole module becomes a function's body (its imports become lazy)."""
    body = textwrap.indent(source, "    ") or "    pass\n"
    return f"def _wrapped():\n{body}" if body.strip() else source


def m_imports_in_try(source: str, rng: random.Random) -> str:
    """The first Vertex import moves into ``try: ... except ImportError:`` (an optional extra)."""
    return _nth_sub(r"(?m)^(from google\.cloud[^\n]*|import google\.cloud[^\n]*)$", source, rng,
                    lambda m: f"try:\n    {m.group(1)}\nexcept ImportError:\n    pass")


def m_component(source: str, rng: random.Random) -> str:
    """A function becomes a Kubeflow lightweight component."""
    return _nth_sub(r"(?m)^def ", source, rng, lambda m: "@dsl.component\ndef ")


# hostile mutations (issue 12): what Python's tokenizer treats otherwise than ``str.splitlines`` or libcst


def _lines(source: str) -> list[str]:
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", source)


def m_crlf(source: str, rng: random.Random) -> str:
    return source.replace("\r\n", "\n").replace("\n", "\r\n")


def m_cr(source: str, rng: random.Random) -> str:
    return source.replace("\r\n", "\n").replace("\n", "\r")


def m_form_feed(source: str, rng: random.Random) -> str:
    """A form feed before a line's indentation (Python: whitespace that resets the indentation column, so
    the indentation after it is the line's)."""
    lines = _lines(source)
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    if filled:
        i = rng.choice(filled)
        lines[i] = rng.choice(["\x0c", "\x0c\x0c", "  \x0c", "\t\x0c"]) + lines[i]
    return "".join(lines)


def m_tabs(source: str, rng: random.Random) -> str:
    """Each indentation of eight spaces or more starts with a tab instead."""
    return "".join("\t" + ln[8:] if ln.startswith(" " * 8) else ln for ln in _lines(source))


def m_hostile_chars(source: str, rng: random.Random) -> str:
    """A string holding characters ``str.splitlines`` breaks at, and a file-noqa lookalike, above the code."""
    return "_S = 'a\x0cb\x0bc\x1cd\x85e\u2028f # flake8: noqa'\n" + source


def m_lone_backslash(source: str, rng: random.Random) -> str:
    """A line holding only a backslash before a top-level statement."""
    lines = _lines(source)
    tops = [i for i, ln in enumerate(lines) if ln[:1].isalpha() and i and lines[i - 1].rstrip("\r\n")[-1:] != "\\"]
    if tops:
        i = rng.choice(tops)
        lines.insert(i, "\\\n")
    return "".join(lines)


def m_cookie(source: str, rng: random.Random) -> str:
    return "# -*- coding: latin-1 -*-\n" + source if source.isascii() else source


def m_nul(source: str, rng: random.Random) -> str:
    return source + "\x00\n"


def m_deep(source: str, rng: random.Random) -> str:
    """Deep nesting: brackets Python takes (150) or rejects (1,300), a long ``or`` chain, unary chains."""
    n = rng.choice([150, 1300])
    tail = rng.choice([
        "_deep = " + "(" * n + "1" + ")" * n,
        "_chain = " + " or ".join(["_x == 4"] * rng.choice([400, 1500])),
        "_neg = " + "-" * rng.choice([500, 3000]) + "1",
    ])
    return source + ("" if source.endswith("\n") or not source else "\n") + tail + "\n"


MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "int": m_int,
    "operator": m_operator,
    "membership": m_membership,
    "member": m_member,
    "string": m_string,
    "drop_line": m_drop_line,
    "repeat_line": m_repeat_line,
    "into_function": m_into_function,
    "imports_in_try": m_imports_in_try,
    "component": m_component,
    "crlf": m_crlf,
    "cr": m_cr,
    "form_feed": m_form_feed,
    "tabs": m_tabs,
    "hostile_chars": m_hostile_chars,
    "lone_backslash": m_lone_backslash,
    "cookie": m_cookie,
    "nul": m_nul,
    "deep": m_deep,
}

# ---------------------------------------------------------------------------------------------------------------
# strategies


@st.composite
def mutated_fixtures(draw) -> Program:  # noqa: ANN001
    name, source = draw(st.sampled_from(FIXTURE_SOURCES))
    ops = draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=4))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for op in ops:
        source = MUTATIONS[op](source, rng)
    return Program(source, f"{name} + {'+'.join(ops)}")


@st.composite
def generated_programs(draw) -> Program:  # noqa: ANN001
    import hypothesmith

    body = draw(hypothesmith.from_grammar(auto_target=False))
    return Program(PRELUDE + "\n" + body + ("\n" if not body.endswith("\n") else ""), "hypothesmith")


FAMILIES = {"mutated": mutated_fixtures, "generated": generated_programs}


def programs() -> st.SearchStrategy[Program]:
    return st.one_of(*(f() for f in FAMILIES.values()))


def fixture_path(name: str) -> Path:
    return FIXTURES / name
