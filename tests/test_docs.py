"""Every example in the docs runs, and prints what the page says it prints.

README.md and every page under docs/ are run by ``docs_examples`` (its
docstring lists the directives a page can use). The site itself is built
with ``mkdocs build --strict`` by ``make docs``, which ``make test`` runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from docs_examples import (
    DOCS,
    PAGES,
    ROOT,
    Block,
    importable,
    parse,
    problems,
    required_modules,
    run_page,
)

import dioxide
import dioxide.exceptions


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.fixture(scope="session")
def docs_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the docs run; each page's sessions get a folder in it."""
    return tmp_path_factory.mktemp("docs")


def run(page: Path, workdir: Path) -> list[tuple[Block, dict[str, Any]]]:
    """Run ``page`` once per test session, however many tests look at it."""
    return run_page(page, workdir / _page_id(page).replace("/", "-"))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_examples_run_and_print_what_the_page_says(page: Path, docs_workdir: Path) -> None:
    found = problems(run(page, docs_workdir))
    assert not found, "\n\n".join(found)


def test_every_exception_has_a_section_and_an_example_with_its_message(
    docs_workdir: Path,
) -> None:
    page = DOCS / "errors.md"
    text = page.read_text(encoding="utf-8")
    shown = {
        result.get("raised") for block, result in run(page, docs_workdir) if block.expected
    }
    for name in dioxide.exceptions.__all__:
        assert f"\n## {name}\n" in text, f"errors.md has no section for {name}"
        if name != "DioxideError":  # the base class is never raised itself
            assert f"dioxide.exceptions.{name}" in shown, (
                f"errors.md has no example that raises {name} and shows its message"
            )


def test_api_reference_covers_the_public_api() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in dioxide.__all__:
        if name in dioxide.exceptions.__all__:
            assert "::: dioxide.exceptions\n" in text
        else:
            assert f"::: dioxide.{name}\n" in text, f"api.md does not document {name}"
    for module in ("dioxide.fastapi", "dioxide.flask", "dioxide.pytest_plugin"):
        assert f"::: {module}\n" in text, f"api.md does not document {module}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_skipped_examples_say_why(page: Path) -> None:
    for block in parse(page):
        if "skip" in block.directives:
            assert block.directives["skip"], f"{block.where}: <!-- skip: why --> needs a reason"


def test_examples_that_need_another_library_run_in_make_test() -> None:
    """``<!-- requires: ... -->`` examples run where their libraries are
    installed; ``make test`` installs them all (DOCS_EXAMPLE_DEPS), so there
    a missing one fails instead of silently skipping examples."""
    needed = {module for page in PAGES for block in parse(page) for module in required_modules(block)}
    missing = sorted(module for module in needed if not importable(module))
    assert needed >= {"dependency_injector", "dishka", "sqlalchemy"}
    if missing and os.environ.get("DIOXIDE_TEST_EVERYTHING") != "1":
        pytest.skip(f"not installed, their examples did not run: {', '.join(missing)}")
    assert not missing, f"make test installs these (DOCS_EXAMPLE_DEPS): {', '.join(missing)}"
