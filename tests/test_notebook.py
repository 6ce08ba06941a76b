"""Notebooks: masking of IPython syntax, cell_N positions, names across cells, fixes written back into the cells
only (outputs, metadata and JSON formatting untouched), errors per cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from flake8_jobstate import notebook as nbmod
from flake8_jobstate.config import DEFAULT


def code(source: Any, outputs: Optional[list] = None, count: Optional[int] = None, **meta: Any) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": meta,
        "outputs": outputs or [],
        "source": source,
    }


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": [text]}


def notebook(cells: list[dict], language: str = "python") -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": language, "name": "python3"},
            "language_info": {"name": language},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def nbformat_text(nb: dict) -> str:
    """What nbformat (and Jupyter) write: indent 1, sorted keys, raw UTF-8, trailing newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["état 4\n"]}

SAMPLE = notebook(
    [
        md("# Train a custom job"),
        code(["%pip install --upgrade google-cloud-aiplatform\n", "!gcloud config list"]),
        code(
            [
                "from google.cloud import aiplatform\n",
                "from google.cloud.aiplatform_v1.types import CustomJob\n",
                "files = !ls\n",
                "%env FOO=bar\n",
                "job = CustomJob(name=\"projects/p/locations/l/customJobs/1\")",
            ],
            outputs=[OUTPUT],
            count=2,
            tags=["setup"],
        ),
        md("Wait for it"),
        code("%%time\nwhile job.state not in (4, 5, 7):\n    job.refresh()\n", count=3),
        code(["%%bash\n", "if [ $STATE == 4 ]; then echo done; fi\n"]),
        code(["if job.state == 4:  # noqa: JS101\n", "    print('kept')\n", "job.state?\n", "if job.state == 5:\n", "    pass"]),
    ]
)


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "flake8_jobstate.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def write_nb(path: Path, nb: dict, text: Optional[str] = None) -> Path:
    path.write_bytes((text if text is not None else nbformat_text(nb)).encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------------------------
# masking and positions


def test_masking_keeps_line_count_and_positions():
    nb = nbmod.load(nbformat_text(SAMPLE).encode())
    assert [c.number for c in nb.cells] == [1, 2, 3, 4, 5]  # code cells only
    for cell in nb.cells:
        assert len(cell.lines) == len(cell.source.rstrip("\n").split("\n")) or cell.source == ""
    c1, c2, c3, c4, _ = nb.cells
    assert all("pass" in line for line in c1.lines)
    assert c2.lines[2].startswith("files = None")
    assert c2.lines[3].startswith("pass")
    assert c3.lines[0].startswith("pass") and c3.lines[1] == "while job.state not in (4, 5, 7):"
    assert all(line.startswith("pass") or not line.strip() for line in c4.lines)  # %%bash: all masked


def test_findings_per_cell():
    nb = nbmod.load(nbformat_text(SAMPLE).encode())
    findings, errors, _, _ = nbmod.analyze(nb, DEFAULT, "nb.ipynb")
    assert errors == []
    got = [(f.cell, f.line, f.col + 1, f.finding.code) for f in findings if f.finding.code.startswith("JS1")]
    # names flow between cells (job is defined in cell 2); %%bash is not Python; noqa is applied by the CLI
    assert got == [(3, 2, 25, "JS101"), (3, 2, 28, "JS101"), (3, 2, 31, "JS101"), (5, 1, 17, "JS101"),
                   (5, 4, 17, "JS101")]


def test_check_cli(tmp_path: Path):
    write_nb(tmp_path / "nb.ipynb", SAMPLE)
    r = run_cli(["check", "--select", "JS1", "nb.ipynb"], tmp_path)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "nb.ipynb:cell_3:2:25: JS101 raw int 4 used as JobState; use JobState.JOB_STATE_SUCCEEDED (fix available)",
        "nb.ipynb:cell_3:2:28: JS101 raw int 5 used as JobState; use JobState.JOB_STATE_FAILED (fix available)",
        "nb.ipynb:cell_3:2:31: JS101 raw int 7 used as JobState; use JobState.JOB_STATE_CANCELLED (fix available)",
        "nb.ipynb:cell_5:4:17: JS101 raw int 5 used as JobState; use JobState.JOB_STATE_FAILED (fix available)",
    ]
    r = run_cli(["check", "--select", "JS1", "--format", "json", "nb.ipynb"], tmp_path)
    assert json.loads(r.stdout)["findings"][0]["cell"] == 3
    # github and sarif point into the .ipynb text: the JSON line holding the code line
    text = (tmp_path / "nb.ipynb").read_text()
    json_line_cell3 = text[: text.index('"source": "%%time')].count("\n") + 1
    json_line_cell5 = text[: text.index('"if job.state == 5:')].count("\n") + 1
    r = run_cli(["check", "--select", "JS1", "--format", "github", "nb.ipynb"], tmp_path)
    lines = r.stdout.splitlines()
    assert lines[0] == (f"::error file=nb.ipynb,line={json_line_cell3},title=JS101 (cell_3)::cell_3:2:25: raw int 4 "
                        "used as JobState; use JobState.JOB_STATE_SUCCEEDED (fix available)")
    assert lines[-1].startswith(f"::error file=nb.ipynb,line={json_line_cell5},title=JS101 (cell_5)::cell_5:4:17:")
    r = run_cli(["check", "--select", "JS1", "--format", "sarif", "nb.ipynb"], tmp_path)
    doc = json.loads(r.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(doc))
    res = doc["runs"][0]["results"]
    assert res[-1]["locations"][0]["physicalLocation"]["region"] == {"startLine": json_line_cell5}
    assert res[-1]["properties"] == {"cell": 5, "lineInCell": 4, "columnInCell": 17, "fix": "safe"}
    # folders: notebooks are found next to .py files; checkpoints are excluded
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write_nb(tmp_path / ".ipynb_checkpoints" / "nb-checkpoint.ipynb", SAMPLE)
    r = run_cli(["check", "."], tmp_path)
    assert {ln.split(":")[0] for ln in r.stdout.splitlines()} == {"./nb.ipynb"}


def test_stdin_notebook(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "flake8_jobstate.cli", "check", "--select", "JS1",
                           "--stdin-filename", "x.ipynb", "-"],
                          cwd=tmp_path, input=nbformat_text(SAMPLE).encode(), capture_output=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("x.ipynb:cell_3:2:25: JS101")


# ---------------------------------------------------------------------------------------------------------------
# fixing


def test_fix_writes_only_the_changed_sources(tmp_path: Path):
    original = nbformat_text(SAMPLE)
    p = write_nb(tmp_path / "nb.ipynb", SAMPLE)
    r = run_cli(["fix", "nb.ipynb"], tmp_path)
    assert r.returncode == 1, r.stderr
    new_text = p.read_text(encoding="utf-8")
    new = json.loads(new_text)
    # formatting: still exactly what nbformat would write for the new content
    assert new_text == nbformat_text(new)
    # only the sources of cells 2 (import added), 3 and 5 changed; outputs/metadata/counts identical
    for i, (a, b) in enumerate(zip(SAMPLE["cells"], new["cells"])):
        assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}, i
    changed = [i for i, (a, b) in enumerate(zip(SAMPLE["cells"], new["cells"])) if a["source"] != b["source"]]
    assert changed == [4, 6]  # `aiplatform` is imported: members are spelled through it, no import added
    assert new["cells"][4]["source"] == (
        "%%time\nwhile job.state not in (aiplatform.gapic.JobState.JOB_STATE_SUCCEEDED, "
        "aiplatform.gapic.JobState.JOB_STATE_FAILED, aiplatform.gapic.JobState.JOB_STATE_CANCELLED):\n"
        "    job.refresh()\n"
    )
    assert new["cells"][6]["source"] == [
        "if job.state == 4:  # noqa: JS101\n",
        "    print('kept')\n",
        "job.state?\n",
        "if job.state == aiplatform.gapic.JobState.JOB_STATE_FAILED:\n",
        "    pass",
    ]
    assert "jobstate-mask" not in new_text and "jobstate-cell" not in new_text
    assert new["cells"][1]["source"] == SAMPLE["cells"][1]["source"]  # magics untouched
    # idempotent, and check is clean
    assert run_cli(["fix", "nb.ipynb"], tmp_path).returncode == 0
    assert p.read_text(encoding="utf-8") == new_text
    assert run_cli(["check", "--select", "JS1", "nb.ipynb"], tmp_path).returncode == 0
    assert original != new_text


def test_fix_adds_import_to_the_import_cell(tmp_path: Path):
    nb = notebook(
        [
            code(["%pip install google-cloud-aiplatform"]),
            code(["import os\n", "from google.cloud.aiplatform_v1.types import CustomJob\n", "!echo hi"]),
            code(["job = CustomJob(name='n')\n", "done = job.state == 4"]),
        ]
    )
    p = write_nb(tmp_path / "nb.ipynb", nb)
    assert run_cli(["fix", "nb.ipynb"], tmp_path).returncode == 1
    new = json.loads(p.read_text())
    src1 = "".join(new["cells"][1]["source"])
    assert "from google.cloud.aiplatform_v1 import JobState\n" in src1
    assert src1.endswith("!echo hi")
    assert new["cells"][0]["source"] == nb["cells"][0]["source"]
    assert new["cells"][2]["source"] == ["job = CustomJob(name='n')\n", "done = job.state == JobState.JOB_STATE_SUCCEEDED"]
    assert run_cli(["check", "nb.ipynb"], tmp_path).returncode == 0


def test_diff_and_check_modes_write_nothing(tmp_path: Path):
    p = write_nb(tmp_path / "nb.ipynb", SAMPLE)
    before = p.read_bytes()
    r = run_cli(["fix", "--diff", "nb.ipynb"], tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("--- a/nb.ipynb\n+++ b/nb.ipynb\n")
    r = run_cli(["fix", "--check", "nb.ipynb"], tmp_path)
    assert r.returncode == 1 and "would fix nb.ipynb" in r.stdout
    assert p.read_bytes() == before


@pytest.mark.parametrize(
    "style",
    ["nbformat", "indent2-unsorted", "crlf", "ascii-escaped", "minified", "no-trailing-newline"],
)
def test_fix_keeps_json_formatting(tmp_path: Path, style: str):
    nb = notebook([code(["from google.cloud.aiplatform_v1.types import CustomJob\n", "job = CustomJob(name='n')"],
                        outputs=[OUTPUT], count=1),
                   code("ok = job.state == 4\nprint('é')\n", count=2, collapsed=False)])
    if style == "nbformat":
        text = nbformat_text(nb)
    elif style == "indent2-unsorted":
        text = json.dumps(nb, indent=2, ensure_ascii=False) + "\n"
    elif style == "crlf":
        text = nbformat_text(nb).replace("\n", "\r\n")
    elif style == "ascii-escaped":
        text = json.dumps(nb, indent=1, sort_keys=True) + "\n"
    elif style == "minified":
        text = json.dumps(nb, ensure_ascii=False)
    else:
        text = nbformat_text(nb)[:-1]
    p = write_nb(tmp_path / "nb.ipynb", nb, text)
    r = run_cli(["fix", "nb.ipynb"], tmp_path)
    assert r.returncode == 1, r.stderr
    new_text = p.read_bytes().decode("utf-8")
    new = json.loads(new_text)
    # the file differs from the original only inside the changed source value(s)
    expected = json.loads(text)
    expected["cells"][1]["source"] = "ok = job.state == JobState.JOB_STATE_SUCCEEDED\nprint('é')\n"
    expected["cells"][0]["source"] = new["cells"][0]["source"]  # gained the import
    assert new == expected
    assert "from google.cloud.aiplatform_v1 import JobState\n" in new["cells"][0]["source"]
    old_lines, new_lines = text.splitlines(keepends=True), new_text.splitlines(keepends=True)
    import difflib

    changed = [ln for ln in difflib.ndiff(old_lines, new_lines) if ln.startswith(("+ ", "- "))]
    if style != "minified":
        assert all('"source"' in ln or "JobState" in ln or ln.strip("+- \r\n").startswith('"') for ln in changed)
        assert len(changed) <= 4, changed
    if style == "crlf":
        assert "\n" not in new_text.replace("\r\n", "")
    if style == "ascii-escaped":
        assert new_text.isascii()
    assert new_text.endswith("\n") == text.endswith("\n")


def test_unparsable_cell_is_reported_and_others_checked(tmp_path: Path):
    nb = notebook(
        [
            code(["from google.cloud.aiplatform_v1.types import CustomJob\n", "job = CustomJob(name='n')"]),
            code(["def broken(:\n", "    pass"]),
            code(["ok = job.state == 4"]),
        ]
    )
    p = write_nb(tmp_path / "nb.ipynb", nb)
    r = run_cli(["check", "nb.ipynb"], tmp_path)
    assert r.returncode == 2
    assert r.stdout.startswith("nb.ipynb:cell_3:1:19: JS101")
    assert r.stderr.startswith("nb.ipynb: error: cell_2:1: cannot parse this cell (invalid syntax)")
    assert len(r.stderr.splitlines()) == 1
    before = p.read_bytes()
    r = run_cli(["fix", "nb.ipynb"], tmp_path)
    assert r.returncode == 2
    assert p.read_bytes() == before


def test_bad_notebooks_give_one_line_errors(tmp_path: Path):
    (tmp_path / "a.ipynb").write_text("{not json")
    (tmp_path / "b.ipynb").write_text('{"metadata": {}}')
    (tmp_path / "c.ipynb").write_bytes(b'{"cells": [], "x": "\xff"}')
    r = run_cli(["check", "a.ipynb", "b.ipynb", "c.ipynb"], tmp_path)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["a.ipynb", "b.ipynb", "c.ipynb"]


def test_non_python_notebook_is_skipped(tmp_path: Path):
    nb = notebook([code(["job.state == 4"])], language="R")
    write_nb(tmp_path / "r.ipynb", nb)
    assert run_cli(["check", "r.ipynb"], tmp_path).returncode == 0


def test_continuation_lines_of_magics_are_masked():
    nb = nbmod.load(nbformat_text(notebook([code(["!pip install a \\\n", "    b\n", "x = 1"])])).encode())
    cell = nb.cells[0]
    assert cell.lines[0].startswith("pass") and cell.lines[1].startswith("pass") and cell.lines[2] == "x = 1"
    fixed = "\n".join(["# jobstate-cell 1", *cell.lines]) + "\n"
    assert nbmod.split_fixed(nb, fixed)[1] == cell.source


def test_indented_magics_keep_blocks_valid():
    nb = nbmod.load(nbformat_text(notebook([code(["if True:\n", "    !ls\n", "    y = %time f()\n"])])).encode())
    source, _ = nb.combined()
    compile(source, "nb", "exec")


@pytest.mark.skipif(not os.environ.get("JOBSTATE_REAL_NOTEBOOK"), reason="set JOBSTATE_REAL_NOTEBOOK=path to run")
def test_real_notebook(tmp_path: Path):  # pragma: no cover - manual check on a real samples notebook
    import shutil

    src = Path(os.environ["JOBSTATE_REAL_NOTEBOOK"])
    p = tmp_path / src.name
    shutil.copy(src, p)
    r = run_cli(["fix", p.name], tmp_path)
    assert r.returncode in (0, 1), r.stderr
    assert run_cli(["fix", p.name], tmp_path).returncode == 0
    assert run_cli(["check", "--select", "JS101", p.name], tmp_path).returncode == 0


def test_hand_edited_json_outside_the_changed_cell_is_kept(tmp_path: Path):
    """Real notebooks are sometimes hand-edited: odd layouts elsewhere must survive byte for byte."""
    nb = notebook([code(["! gcloud storage buckets create $BUCKET"]),
                   code(["from google.cloud.aiplatform_v1.types import CustomJob\n", "job = CustomJob(name='n')\n",
                         "ok = job.state == 4"])])
    text = nbformat_text(nb)
    odd = text.replace('"! gcloud storage buckets create $BUCKET"\n   ]', '"! gcloud storage buckets create $BUCKET"      ]')
    assert odd != text
    p = write_nb(tmp_path / "nb.ipynb", nb, odd)
    assert run_cli(["fix", "nb.ipynb"], tmp_path).returncode == 1
    new_text = p.read_text(encoding="utf-8")
    assert '"! gcloud storage buckets create $BUCKET"      ]' in new_text
    assert json.loads(new_text)["cells"][1]["source"][-1] == "ok = job.state == JobState.JOB_STATE_SUCCEEDED"


def test_ipython_syntax_in_real_notebooks_is_masked():
    cases = {
        "x = (a\n     % b)\n": 0,  # % continuing an expression is Python
        "if x:\n    !ls\n": 1,
        "cd ../\nls -la\npwd\nrm -f x.json\n": 4,
        "cd = 3\nls.sort()\nenv(1)\n": 0,
        "# @title Form\n%%writefile x.py\nprint(1)\n": 2,  # cell magic after comment lines: whole cell
        "s = '''\n!not magic\n'''\n": 0,
        " def f():\n     return 1\n": 0,  # IPython removes a leading indent
    }
    for source, masked in cases.items():
        nb = nbmod.load(nbformat_text(notebook([code(source)])).encode())
        cell = nb.cells[0]
        assert len(cell.masked) == masked, (source, cell.lines)
        combined, _ = nb.combined()
        compile(combined, "nb", "exec")
        assert nbmod.split_fixed(nb, combined)[1] == source


def test_leading_indent_columns_are_in_the_original_text():
    nb = notebook([code(["  from google.cloud.aiplatform_v1.types import CustomJob\n", "  job = CustomJob(name='n')\n",
                         "  ok = job.state == 4"])])
    findings, errors, _, _ = nbmod.analyze(nbmod.load(nbformat_text(nb).encode()), DEFAULT, "nb.ipynb")
    assert errors == []
    assert [(f.cell, f.line, f.col + 1) for f in findings if f.finding.code == "JS101"] == [(1, 3, 21)]
