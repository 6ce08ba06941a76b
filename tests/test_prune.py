"""Pruning (functions that cannot hold a finding are stubbed before the libcst parse) changes no finding."""

from __future__ import annotations

import ast

import pytest

from flake8_jobstate.engine import analyze_module, parse, prune
from expectations import FIXTURES, config_of, fixture_files


def _findings(source, cfg, path):
    return [(f.line, f.col, f.text) for f in analyze_module(parse(source), cfg, path)]


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_pruned_findings_equal_full_findings(path):
    source = path.read_text(encoding="utf-8")
    cfg = config_of(source)
    pruned = prune(source, cfg)
    assert pruned.count("\n") == source.count("\n")
    ast.parse(pruned)
    assert _findings(pruned, cfg, str(path)) == _findings(source, cfg, str(path))


def test_irrelevant_functions_are_stubbed_line_for_line():
    source = (
        "from google.cloud import aiplatform\r\n"
        "class Hook:\r\n"
        "\tdef unrelated(self, x):\r\n"
        '\t\t"""Talks about the job state in its docstring only."""\r\n'
        "\t\treturn x + 1\r\n"
        "\tdef get_job(self, name) -> aiplatform.CustomJob:\r\n"
        "\t\tlong = 1\r\n"
        "\t\treturn aiplatform.CustomJob.get(name)\r\n"
        "\tdef wait(self, name):\r\n"
        "\t\treturn self.get_job(name).state == 4\r\n"
    )
    pruned = prune(source)
    assert pruned.splitlines(True)[2] == '\tdef unrelated(*a, **k): """\r\n'
    assert pruned.splitlines(True)[3:5] == ["\r\n", '"""\r\n']
    assert pruned.splitlines(True)[5] == source.splitlines(True)[5]  # signature kept, body stubbed
    assert pruned.splitlines(True)[6:8] == ['\t\t"""\r\n', '"""\r\n']
    assert pruned.splitlines(True)[8:] == source.splitlines(True)[8:]
    assert [(f.line, f.code) for f in analyze_module(parse(pruned))] == [(10, "JS101")]


def test_self_attribute_writers_are_kept_when_read():
    source = (
        "from google.cloud.aiplatform_v1 import JobState\n"
        "class W:\n"
        "    def setup(self):\n"
        "        self.done = object()\n"
        "    def other(self):\n"
        "        self.unrelated = 1\n"
        "    def wait(self, job):\n"
        "        return job.state in self.done\n"
    )
    pruned = prune(source)
    assert "self.done = object()" in pruned
    assert "self.unrelated" not in pruned


def test_syntax_error_is_returned_unchanged():
    assert prune("def f(:\n  state\n") == "def f(:\n  state\n"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_positions_from_top_level_statements_equal_the_whole_module_provider(path):
    source = path.read_text(encoding="utf-8")
    cfg = config_of(source)
    fast = [(f.line, f.col, f.text) for f in analyze_module(parse(source), cfg, str(path), tree=ast.parse(source))]
    full = [(f.line, f.col, f.text) for f in analyze_module(parse(source), cfg, str(path))]
    assert fast == full


def test_a_one_line_stub_is_pass_and_a_stub_at_the_end_keeps_the_missing_newline():
    source = (
        "from google.cloud.aiplatform_v1 import JobState\n"
        "def one(): return 1\n"
        "def wait(job):\n"
        "    return job.state == JobState.JOB_STATE_SUCCEEDED\n"
        "def last(x):\n"
        "    return x"
    )
    pruned = prune(source)
    assert pruned.splitlines(True)[1] == "def one(*a, **k): pass\n"
    assert pruned.splitlines(True)[4:] == ['def last(*a, **k): """\n', '"""']
    assert pruned.count("\n") == source.count("\n")
    ast.parse(pruned)


def test_classes_without_state_words_are_stubbed():
    source = (
        "from google.cloud.aiplatform_v1 import JobState\n"
        "class Model:\n"
        '    """A model; its docstring may say state."""\n'
        "    name: str\n"
        '    """The state of nothing (attribute docstring)."""\n'
        "    def f(self):\n"
        "        return 1\n"
        "class Waiter:\n"
        "    done = (JobState.JOB_STATE_SUCCEEDED,)\n"
    )
    pruned = prune(source)
    assert pruned.splitlines()[1] == 'class Model: """'  # one string token holds the class's other lines
    assert pruned.splitlines()[2:7] == [""] * 4 + ['"""']
    assert pruned.splitlines()[7:] == source.splitlines()[7:]


def test_positions_narrowed_to_one_method_equal_the_whole_module_provider(monkeypatch):
    # the findings lie in one (decorated) method of a nested class: positions come from that method alone,
    # rendered inside its class headers, and must equal the whole-module provider's, columns included
    from flake8_jobstate import engine

    source = (
        "from google.cloud.aiplatform_v1 import JobServiceClient, JobState\n"
        "\n"
        "class Outer:\n"
        "    x = 1\n"
        "\n"
        "    class Waiter:\n"
        "        def other(self):\n"
        "            return 2\n"
        "\n"
        "        @staticmethod\n"
        "        # a comment between decorator and def\n"
        "        def wait(client: JobServiceClient, name):\n"
        "            job = client.get_custom_job(name=name)\n"
        "            if (job.state ==\n"
        "                    4):\n"
        "                return job.state == 'JOB_STATE_FAILED'\n"
    )
    narrowed = []
    original = engine._narrow

    def spy(stmt, node, ids):
        out = original(stmt, node, ids)
        narrowed.append(out is not None)
        return out

    monkeypatch.setattr(engine, "_narrow", spy)
    fast = [(f.line, f.col, f.code) for f in analyze_module(parse(source), tree=ast.parse(source))]
    full = [(f.line, f.col, f.code) for f in analyze_module(parse(source))]
    assert fast == full and len(fast) >= 2
    assert narrowed[:2] == [True, True]  # Outer -> Waiter -> wait
