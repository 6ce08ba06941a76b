"""The project layer: summaries of other modules of the analysed file's tree, read from text, never run."""

from __future__ import annotations

from flake8_jobstate import reads
from flake8_jobstate.engine import analyze_source
from flake8_jobstate.project import TREE


def _content_reads(deps: dict[str, str]) -> set[str]:
    return {p for p, v in deps.items() if v not in (reads.ABSENT, reads.PRESENT)}


def _tree(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_reads_are_reported_transitively(tmp_path):
    root = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/clients.py": "from google.cloud import aiplatform_v1\n\ndef client():\n    return aiplatform_v1.JobServiceClient()\n",
        "pkg/jobs.py": "from .clients import client\n\ndef get(n):\n    return client().get_custom_job(name=n)\n",
        "pkg/use.py": "from google.cloud import aiplatform\nfrom .jobs import get\n\ndef f(n):\n    return get(n).state == 'JOB_STATE_FAILED'\n",
    })
    use = str(root / "pkg" / "use.py")
    for _ in range(2):  # the second time from the per-process caches: the reads are reported all the same
        with reads.recording() as deps:
            findings = analyze_source((root / "pkg" / "use.py").read_text(), path=use)
        assert [(f.line, f.code) for f in findings] == [(5, "JS102")]
        assert _content_reads(deps) == {str(root / "pkg" / "jobs.py"), str(root / "pkg" / "clients.py")}


def test_user_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    root = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/side.py": (f"open({str(marker)!r}, 'w').write('x')\n"
                        "from google.cloud import aiplatform_v1\n\ndef get(n):\n"
                        "    return aiplatform_v1.JobServiceClient().get_custom_job(name=n)\n"),
        "pkg/use.py": "from .side import get\n\nok = get('n').state == 'JOB_STATE_FAILED'\n",
    })
    findings = analyze_source((root / "pkg" / "use.py").read_text(), path=str(root / "pkg" / "use.py"))
    assert [f.code for f in findings] == ["JS102"]
    assert not marker.exists()


def test_sdk_packages_are_never_read(tmp_path):
    """A tree that holds a ``google`` package (a vendored SDK, or the SDK's own repository) is not summarised."""
    root = _tree(tmp_path, {
        "google/__init__.py": "",
        "google/cloud/__init__.py": "",
        "google/cloud/fake.py": "from google.cloud import aiplatform_v1\n\ndef get(n):\n"
                                "    return aiplatform_v1.JobServiceClient().get_custom_job(name=n)\n",
        "app.py": "from google.cloud.fake import get\nfrom google.cloud import aiplatform\n\n"
                  "ok = get('n').state == 'JOB_STATE_FAILED'\n",
    })
    TREE.clear()
    with reads.recording() as deps:
        assert analyze_source((root / "app.py").read_text(), path=str(root / "app.py")) == []
    assert not [p for p in deps if "google" in p.split("/")]


def test_import_cycles_end_in_unknown(tmp_path):
    root = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from google.cloud import aiplatform_v1\nfrom .b import g\n\ndef f(n):\n    return g(n)\n",
        "pkg/b.py": "from google.cloud import aiplatform_v1\nfrom .a import f\n\ndef g(n):\n    return f(n)\n",
        "pkg/use.py": "from google.cloud import aiplatform_v1\nfrom .a import f\n\nok = f('n').state == 'JOB_STATE_FAILED'\n",
    })
    assert analyze_source((root / "pkg" / "use.py").read_text(), path=str(root / "pkg" / "use.py")) == []
