"""MkDocs hooks for the dioxide site (see ``hooks:`` in mkdocs.yml).

- The performance page shows the latest benchmark report,
  ``benchmarks/results/results.md`` (and its chart), as ``make bench`` left
  them: the numbers are never copied into ``docs/``, so they cannot go stale
  there. Without a report the page says how to make one.
- The stylesheet for the code highlighted by Pygments is generated here
  rather than kept as a copy.
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

#: Where the performance page wants the report.
REPORT_MARKER = "<!-- benchmark report -->"
#: Where the chart is published, next to the performance page.
CHART = "performance/results.png"


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    from pygments.formatters import HtmlFormatter

    css = HtmlFormatter(style="friendly").get_style_defs(".highlight")
    files.append(File.generated(config, "css/pygments.css", content=css))
    chart = RESULTS / "results.png"
    if chart.is_file():
        files.append(File.generated(config, CHART, abs_src_path=str(chart)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **kwargs: Any) -> str:
    if REPORT_MARKER not in markdown:
        return markdown
    return markdown.replace(REPORT_MARKER, benchmark_report(page))


def benchmark_report(page: Page) -> str:
    report = RESULTS / "results.md"
    if not report.is_file():
        return (
            "!!! note \"No benchmark report yet\"\n"
            "    Run `make bench` (several minutes) to measure; it writes\n"
            "    `benchmarks/results/results.md`, which this page then shows.\n"
        )
    text = report.read_text(encoding="utf-8")
    # The report's own title is the page's; its sections become the page's.
    text = re.sub(r"\A# .*\n", "", text)
    chart = ""
    if (RESULTS / "results.png").is_file():
        depth = page.file.src_uri.count("/")
        chart = f"![dioxide against hand-written code and its peers]({'../' * depth}{CHART})\n\n"
    return chart + text
