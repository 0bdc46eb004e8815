"""A user who installs the wheel into a fresh virtualenv gets the types.

Builds the wheel with maturin (reusing the compiled ``target/``), installs it
into a new venv with nothing from this source tree on the path, and runs
that venv's mypy on code using dioxide. Set ``DIOXIDE_SKIP_WHEEL_TEST=1`` to
skip it (it needs ``maturin`` and PyPI or a pip cache for mypy).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "stubs" / "_dioxide_core.pyi"

pytestmark = pytest.mark.skipif(
    os.environ.get("DIOXIDE_SKIP_WHEEL_TEST") == "1",
    reason="DIOXIDE_SKIP_WHEEL_TEST=1",
)

USER_CODE = '''
from abc import ABC, abstractmethod
from typing import Protocol

from typing_extensions import assert_type

from dioxide import Container, Scope, component


class PaymentPort(Protocol):
    def charge(self, cents: int) -> str: ...


class Repository(ABC):
    @abstractmethod
    def get(self) -> str: ...


class Stripe:
    def charge(self, cents: int) -> str:
        return "charged"


class MemoryRepository(Repository):
    def get(self) -> str:
        return "row"


@component
class Clock:
    pass


@component(scope=Scope.SINGLETON)
class UserService:
    def __init__(self, payments: PaymentPort, repo: Repository) -> None:
        self.payments = payments
        self.repo = repo


container = Container()
container.register_class(PaymentPort, Stripe)
container.register_class(Repository, MemoryRepository)
assert_type(Container().resolve(Clock), Clock)
assert_type(container.resolve(UserService), UserService)
assert_type(container.resolve(PaymentPort), PaymentPort)
assert_type(container.resolve(Repository), Repository)
assert_type(container.resolve(UserService).repo.get(), str)
# `closed` is declared only in the extension's stub: Any if the stub is missing.
assert_type(container.closed, bool)
print(container.resolve(UserService).payments.charge(5))
'''


@dataclass
class Venv:
    root: Path
    python: Path
    package: Path

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        # Nothing from the source tree: no PYTHONPATH, no MYPYPATH, and the
        # working directory is outside the repository.
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "MYPYPATH"}}
        return subprocess.run(
            [str(self.python), *args], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )

    def mypy(self, code: str, workdir: Path, *, plugin: bool = False) -> subprocess.CompletedProcess[str]:
        workdir.mkdir()
        (workdir / "user_code.py").write_text(textwrap.dedent(code))
        config = workdir / "mypy.ini"
        config.write_text("[mypy]\n" + ("plugins = dioxide.mypy_plugin\n" if plugin else ""))
        return self.run(
            "-m", "mypy", "--strict", "--warn-unused-ignores", "--config-file", str(config),
            "--cache-dir", str(workdir / ".mypy_cache"), "user_code.py", cwd=workdir,
        )


def _check(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{what} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, built_wheel: Path) -> Iterator[Venv]:
    """A fresh venv with the freshly built wheel, typing_extensions and mypy."""
    tmp = tmp_path_factory.mktemp("venv")
    wheel = built_wheel
    root = tmp / "venv"
    # The venv gets no pip of its own; this interpreter's pip installs into it
    # (`pip --python`), which is much faster than bootstrapping one.
    _check([sys.executable, "-m", "venv", "--without-pip", str(root)], "venv")
    python = root / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    _check([*pip, "--no-deps", str(wheel)], "pip install the wheel")
    _check([*pip, "typing_extensions>=4.13", "mypy==2.4.1"], "pip install mypy")
    found = subprocess.run(
        [str(python), "-c", "import dioxide, os; print(os.path.dirname(dioxide.__file__))"],
        cwd=tmp, capture_output=True, text=True, check=True,
    )
    package = Path(found.stdout.strip())
    yield Venv(root, python, package)


def test_the_wheel_is_what_gets_imported(installed: Venv) -> None:
    assert installed.package.is_relative_to(installed.root)


def test_the_wheel_ships_the_stub_and_the_typed_marker(installed: Venv) -> None:
    stub = installed.package / "_dioxide_core.pyi"

    assert (installed.package / "py.typed").is_file()
    assert stub.is_file() and not stub.is_symlink()
    assert stub.read_text() == STUB.read_text()


def test_mypy_in_the_fresh_venv_sees_the_resolved_types(installed: Venv, tmp_path: Path) -> None:
    result = installed.mypy(USER_CODE, tmp_path / "plain")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_the_installed_mypy_plugin_rejects_a_wrong_instance(installed: Venv, tmp_path: Path) -> None:
    code = USER_CODE + "container.register_instance(Stripe, 'not a gateway')\n"

    result = installed.mypy(code, tmp_path / "plugin", plugin=True)

    assert result.returncode == 1
    assert (
        'Argument "instance" to "register_instance" of "Container" has incompatible '
        'type "str"; expected "Stripe"  [arg-type]'
    ) in result.stdout


def test_the_checked_code_runs_from_the_wheel(installed: Venv, tmp_path: Path) -> None:
    (tmp_path / "user_code.py").write_text(USER_CODE)

    result = installed.run("user_code.py", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "charged\n"
