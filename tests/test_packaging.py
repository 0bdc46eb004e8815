"""What PyPI and pip get: the wheel's and the sdist's metadata, licence and
typed marker, checked by ``twine check --strict`` as an upload would be.

``make dist`` does the same for a release; these tests keep it from rotting.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.fixture(scope="module")
def built_sdist(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> Path:
    """The sdist of this checkout (``built_wheel`` first: both skip together)."""
    dist = tmp_path_factory.mktemp("sdist")
    maturin = Path(sys.executable).parent / "maturin"
    result = subprocess.run(
        [str(maturin), "sdist", "--out", str(dist), "--manifest-path", str(ROOT / "Cargo.toml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (sdist,) = dist.glob("dioxide-*.tar.gz")
    return sdist


def wheel_metadata(wheel: Path) -> tuple[Message, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(metadata).decode("utf-8")), names


def test_twine_check_passes_on_the_wheel_and_the_sdist(built_wheel: Path, built_sdist: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(built_wheel), str(built_sdist)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_the_wheel_carries_the_licence_and_the_typed_marker(built_wheel: Path) -> None:
    metadata, names = wheel_metadata(built_wheel)

    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    with zipfile.ZipFile(built_wheel) as archive:
        assert archive.read(licence) == (ROOT / "LICENSE").read_bytes()
    assert "dioxide/py.typed" in names


def test_the_wheel_metadata_has_classifiers_urls_and_the_readme(built_wheel: Path) -> None:
    metadata, _ = wheel_metadata(built_wheel)

    assert metadata.get_all("Classifier") == PYPROJECT["classifiers"]
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) == {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in urls.values())
    assert metadata["Description-Content-Type"].startswith("text/markdown")
    assert metadata.get_payload().strip() == (ROOT / "README.md").read_text().strip()


def test_the_version_classifiers_start_at_requires_python() -> None:
    floor = re.fullmatch(r">=3\.(\d+)", PYPROJECT["requires-python"])
    assert floor, PYPROJECT["requires-python"]
    minors = [
        int(c.rsplit(".", 1)[1])
        for c in PYPROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]

    assert min(minors) == int(floor.group(1))
    assert minors == list(range(min(minors), max(minors) + 1))


def test_the_sdist_has_what_a_build_from_it_needs(built_sdist: Path) -> None:
    with tarfile.open(built_sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "Cargo.toml",
                   "Cargo.lock", "python/dioxide/py.typed", "crates/dioxide-core/Cargo.toml"):
        assert needed in names, f"the sdist has no {needed}"


def test_the_changelog_names_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)

    assert sections, "CHANGELOG.md has no release section"
    assert sections[0] in ("Unreleased", PYPROJECT["version"])
    assert PYPROJECT["version"] in sections
