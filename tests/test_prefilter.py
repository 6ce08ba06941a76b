"""The prefilter rejects what cannot hold a finding, and never a file that has one."""

from __future__ import annotations

import pytest

from flake8_jobstate.config import build_config
from flake8_jobstate.engine import analyze_module, parse, prefilter
from expectations import expected, fixture_files

IMPORTS = [
    "from google.cloud.aiplatform_v1.types import job_state as gca_job_state\n",
    "from google.cloud.aiplatform.compat.types import job_state\n",
    "from google.cloud.aiplatform_v1 import JobState, PipelineState\n",
    "from google.cloud.aiplatform import gapic as aip\n",
    "from google.cloud import aiplatform\n",
    "from google.cloud import storage, aiplatform_v1beta1\n",
    "from google.cloud import (\n    storage,\n    aiplatform,\n)\n",
    "import google.cloud.aiplatform_v1 as v1\n",
    "def f():\n    from google.cloud.aiplatform_v1beta1.types import JobState\n",
    "import vertexai\n",
    "from vertexai.tuning import sft\n",
    "from google import genai\n",
    "from google.genai import types\n",
]


@pytest.mark.parametrize("imp", IMPORTS)
def test_vertex_imports_pass(imp):
    assert prefilter(imp + "x = job.state\n")


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "from google.cloud.dataflow_v1beta3 import JobState\nJobState.JOB_STATE_DONE\n",
        "# uses aiplatform in a comment only\nx = job.state == 'JOB_STATE_FAILED'\n",
        "from google.cloud import aiplatform\nprint(aiplatform.__version__)\n",  # no state and no class word
    ],
)
def test_irrelevant_files_are_rejected(source):
    assert not prefilter(source)


def test_configured_names_pass():
    cfg = build_config(extra_modules="mypkg.states", state_attributes="last_state")
    assert prefilter("from mypkg.states import JobState\n", cfg)
    assert prefilter("x = run.last_state == 3\n", cfg)


@pytest.mark.parametrize("path", [p for p in fixture_files() if expected(p.read_text(encoding="utf-8"))],
                         ids=lambda p: p.name)
def test_every_fixture_with_findings_passes(path):
    from expectations import config_of

    source = path.read_text(encoding="utf-8")
    assert prefilter(source, config_of(source), str(path))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_rejected_files_have_no_findings(path):
    """Soundness on our own corpus: analysing a rejected file anyway finds nothing."""
    from expectations import config_of

    source = path.read_text(encoding="utf-8")
    cfg = config_of(source)
    if not prefilter(source, cfg, str(path)):
        assert analyze_module(parse(source), cfg, str(path)) == []


@pytest.mark.parametrize("line", ["from .workers import Worker\n", "from . import workers\n",
                                  "from pkg.workers import Worker\n", "import pkg.workers as w\n"])
def test_a_project_module_that_imports_vertex_lets_the_importer_in(tmp_path, line):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "workers.py").write_text("from google.cloud import aiplatform_v1\n\nclass Worker: ...\n")
    (pkg / "plain.py").write_text("import os\n\nclass Worker: ...\n")
    source = line + "x = Worker().job().state\n"
    assert not prefilter(source)  # no path: nothing to look at
    assert prefilter(source, path=str(pkg / "runner.py"))
    plain = source.replace("workers", "plain")
    assert not prefilter(plain, path=str(pkg / "runner.py"))
