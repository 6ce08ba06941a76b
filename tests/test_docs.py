"""Docs are generated from the rule metadata; every rule's examples do what they say."""

from __future__ import annotations

import re

import pytest

from flake8_jobstate import docs
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.rules import iter_rules
from flake8_jobstate.rules.base import DOC_SECTIONS
from expectations import ROOT

RULES = list(iter_rules())


def test_rules_md_is_fresh():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == docs.rules_md(), (
        "docs/rules.md is stale: run python -m flake8_jobstate.docs"
    )


def test_readme_table_is_fresh():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.readme_with_table(readme) == readme, "README rule table is stale: run python -m flake8_jobstate.docs"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_metadata(rule):
    assert re.fullmatch(r"JS[12]\d\d", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    assert ";" in rule.message, "messages are 'problem; hint'"
    assert rule.fix in (None, "safe", "unsafe")
    sections = rule.doc_sections()
    assert list(sections) == [s for s in DOC_SECTIONS if s in sections]
    for required in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "Options", "References"):
        assert sections.get(required, "").strip(), f"{rule.code}: section {required!r} missing"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_fires(rule):
    code = rule.example_code("Example")
    assert code
    assert rule.code in {f.code for f in analyze_source(code)}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_is_silent(rule):
    code = rule.example_code("Use instead")
    assert code
    assert [f.text for f in analyze_source(code)] == []


def test_codes_unique_and_names_unique():
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", [r for r in RULES if r.fix is not None], ids=lambda r: r.code)
def test_fix_of_the_example_is_the_use_instead(rule):
    """Where a rule has a fix, fixing its Example gives exactly its Use instead."""
    from flake8_jobstate.codemod import fix_code
    from flake8_jobstate.config import Config

    fixed, applied, _ = fix_code(rule.example_code("Example"), Config(), unsafe_fixes=True)
    assert applied
    assert fixed == rule.example_code("Use instead")


def _strip_like_py313(doc: str) -> str:
    """What Python 3.13's compiler does to a docstring: the common indentation of lines 2+ is removed."""
    lines = doc.expandtabs().splitlines()
    indents = [len(ln) - len(ln.lstrip()) for ln in lines[1:] if ln.strip()]
    cut = min(indents, default=0)
    return "\n".join([lines[0].lstrip()] + [ln[cut:] for ln in lines[1:]]) if lines else ""


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_renders_the_same_with_or_without_docstring_indentation(rule, monkeypatch):
    """Rule pages must not depend on how the running Python stores docstrings (3.13 strips the indentation)."""
    indented = "\n".join([(rule.__doc__ or "").splitlines()[0]] + [
        "    " + ln if ln.strip() else ln for ln in (rule.__doc__ or "").splitlines()[1:]
    ])
    rendered = []
    for doc in (indented, _strip_like_py313(indented)):
        monkeypatch.setattr(rule, "__doc__", doc)
        rendered.append((rule.doc_text(), rule.doc_sections()))
    assert rendered[0] == rendered[1]
    assert "{options}" not in rendered[0][0]
