"""MkDocs hooks for the dioxide site (see ``hooks:`` in mkdocs.yml).

- The performance page shows the benchmark reports in
  ``benchmarks/results/`` as the last ``make bench`` wrote them, where the
  page says ``<!-- benchmark report: results.md -->``: the numbers are never
  copied into ``docs/``, so they cannot go stale there. Without a report the
  page says how to make one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

_REPORT = re.compile(r"^<!-- benchmark report: ([\w.-]+\.md) -->$", re.MULTILINE)
#: Where the chart is published, beside the performance page.
CHART = "performance/results.png"


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    chart = RESULTS / "results.png"
    if chart.is_file():
        files.append(File.generated(config, CHART, abs_src_path=str(chart)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **kwargs: Any) -> str:
    return _REPORT.sub(lambda match: _report(match.group(1), page), markdown)


def _report(name: str, page: Page) -> str:
    report = RESULTS / name
    if not report.is_file():
        return (
            '!!! note "No report yet"\n'
            f"    `benchmarks/results/{name}` does not exist: run `make bench`\n"
            "    (several minutes) to measure, then build the docs again.\n"
        )
    text = report.read_text(encoding="utf-8")
    # The report's title is the page section's; its sections go one level down.
    text = re.sub(r"\A# .*\n", "", text)
    text = re.sub(r"^(#{2,5}) ", r"#\1 ", text, flags=re.MULTILINE)
    if name == "results.md" and (RESULTS / "results.png").is_file():
        up = "../" * page.file.src_uri.count("/")
        text = f"![dioxide against hand-written code and its peers]({up}{CHART})\n\n{text}"
    return text
