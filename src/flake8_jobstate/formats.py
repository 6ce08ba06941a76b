"""Output formats of ``flake8-jobstate check``: text (flake8's lines), json, sarif (2.1.0) and github.

Every format renders the same records; the rule metadata (code, name, summary, fix safety, docs) comes from
the rule classes, never from a second table.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Sequence

from . import __version__
from .files import FileResult, Record

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://pypi.org/project/flake8-jobstate/"


def location(r: Record) -> str:
    """``path:line:col`` (col 1-based), ``nb.ipynb:cell_N:line:col`` for notebooks."""
    cell = f"cell_{r.cell}:" if r.cell is not None else ""
    return f"{r.path}:{cell}{r.line}:{r.col + 1}"


def text_lines(results: Iterable[FileResult]) -> Iterable[str]:
    for res in results:
        for r in res.records:
            yield f"{location(r)}: {r.code} {r.message}"


def error_lines(results: Iterable[FileResult]) -> Iterable[str]:
    for res in results:
        for e in res.errors:
            yield f"{res.path}: error: {e}"


# ---------------------------------------------------------------------------------------------------------------


def _rule_meta() -> list[dict[str, Any]]:
    from .rules.base import iter_rules

    out = []
    for rule in iter_rules():
        sections = rule.doc_sections()
        full = " ".join(sections.get("Why is this bad?", "").split())
        what = sections.get("What it does", "").strip()
        help_md = "\n\n".join(f"## {k}\n{v}" for k, v in sections.items() if v)
        out.append(
            {
                "code": rule.code,
                "name": rule.name,
                "summary": rule.summary,
                "fix": rule.fix,
                "what": what,
                "why": full,
                "help_markdown": help_md,
            }
        )
    return out


def to_json(results: Sequence[FileResult]) -> str:
    findings = []
    for res in results:
        for r in res.records:
            item: dict[str, Any] = {
                "path": r.path,
                "line": r.line,
                "column": r.col + 1,
                "code": r.code,
                "message": r.message,
                "fix": r.fix,
            }
            if r.cell is not None:
                item["cell"] = r.cell
                item["file_line"] = r.file_line
            findings.append(item)
    errors = [{"path": res.path, "message": e} for res in results for e in res.errors]
    return json.dumps({"version": __version__, "findings": findings, "errors": errors}, indent=2) + "\n"


def _uri(path: str) -> str:
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            p = rel.replace(os.sep, "/")
    if p.startswith("./"):
        p = p[2:]
    return p


def to_sarif(results: Sequence[FileResult]) -> str:
    """SARIF 2.1.0 as GitHub code scanning reads it: one run, the rules on the driver, one result per finding
    (ruleId, ruleIndex, level, message, a physical location with startLine/startColumn), read errors as
    tool execution notifications."""
    meta = _rule_meta()
    index = {m["code"]: i for i, m in enumerate(meta)}
    rules = []
    for m in meta:
        rules.append(
            {
                "id": m["code"],
                "name": m["name"],
                "shortDescription": {"text": m["summary"]},
                "fullDescription": {"text": m["why"] or m["summary"]},
                "help": {"text": m["what"] or m["summary"], "markdown": m["help_markdown"] or m["summary"]},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["correctness", "vertex-ai", "jobstate"],
                    "precision": "high",
                    "problem.severity": "error",
                    "fix": m["fix"] or "none",
                },
            }
        )
    sarif_results = []
    for res in results:
        for r in res.records:
            text = r.message if r.cell is None else f"cell_{r.cell}:{r.line}:{r.col + 1}: {r.message}"
            if r.cell is None:
                region = {"startLine": r.line, "startColumn": r.col + 1}
            else:  # a notebook: the line of the .ipynb text that holds the code line
                region = {"startLine": r.file_line or 1}
            result: dict[str, Any] = {
                "ruleId": r.code,
                "level": "error",
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(r.path), "uriBaseId": "%SRCROOT%"},
                            "region": region,
                        }
                    }
                ],
            }
            if r.code in index:
                result["ruleIndex"] = index[r.code]
            props: dict[str, Any] = {"fix": r.fix or "none"}  # what `flake8-jobstate fix` would do, as in the message
            if r.cell is not None:
                props.update({"cell": r.cell, "lineInCell": r.line, "columnInCell": r.col + 1})
            result["properties"] = props
            sarif_results.append(result)
    notifications = [
        {"level": "error", "message": {"text": f"{res.path}: {e}"}} for res in results for e in res.errors
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "flake8-jobstate",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFO_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _srcroot()}},
        "results": sarif_results,
        "invocations": [
            {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
        ],
        "columnKind": "unicodeCodePoints",
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2) + "\n"


def _srcroot() -> str:
    cwd = os.getcwd().replace(os.sep, "/")
    if not cwd.startswith("/"):
        cwd = "/" + cwd
    return "file://" + cwd + "/"


# ---------------------------------------------------------------------------------------------------------------


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_lines(results: Iterable[FileResult]) -> Iterable[str]:
    """GitHub Actions workflow commands: ``::error file=...,line=...,col=...,title=JS101::message``."""
    for res in results:
        for r in res.records:
            title = r.code if r.cell is None else f"{r.code} (cell_{r.cell})"
            msg = r.message if r.cell is None else f"cell_{r.cell}:{r.line}:{r.col + 1}: {r.message}"
            if r.cell is None:
                where = f"line={r.line},col={r.col + 1}"
            else:  # a notebook: annotate the line of the .ipynb text that holds the code line
                where = f"line={r.file_line or 1}"
            props = f"file={_escape_property(_uri(r.path))},{where},title={_escape_property(title)}"
            yield f"::error {props}::{_escape_data(msg)}"
        for e in res.errors:
            yield f"::error file={_escape_property(_uri(res.path))},title=flake8-jobstate::{_escape_data(e)}"


# ---------------------------------------------------------------------------------------------------------------


def fix_summary(results: Iterable[FileResult], written: bool) -> str:
    """``N fixed, M left: JS101 3 fixed; JS102 1 left (unsafe fix available: --unsafe-fixes); ...`` over the
    files of one ``fix`` run (``written`` False: ``--check`` / ``--diff``, nothing was written). Empty when
    the run found nothing at all."""
    from collections import Counter

    fixed: Counter[str] = Counter()
    left: dict[str, Counter] = {}
    for res in results:
        fixed.update(code for code, _, _ in res.fixed)
        for code, kind in res.left:
            left.setdefault(code, Counter())[kind] += 1
    n_fixed, n_left = sum(fixed.values()), sum(sum(c.values()) for c in left.values())
    if not n_fixed and not n_left:
        return ""
    verb = "fixed" if written else "would be fixed"
    why = {None: "no fix", "unsafe": "unsafe fix available: --unsafe-fixes", "safe": "fix available, not applied"}
    parts = []
    for code in sorted(set(fixed) | set(left)):
        bits = [f"{fixed[code]} {verb}"] if fixed[code] else []
        for kind, n in sorted(left.get(code, Counter()).items(), key=lambda kv: str(kv[0])):
            bits.append(f"{n} left ({why[kind]})")
        parts.append(f"{code} " + ", ".join(bits))
    return f"{n_fixed} {verb}, {n_left} left: " + "; ".join(parts)
