"""``import dioxide`` stays cheap: the standard-library modules that cost
milliseconds to import (and ``typing_extensions``, which imports
``inspect``) wait until a feature needs them, and each feature still works
when its module comes late."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest

#: Imported on first use only: decorating (``inspect``), awaiting
#: (``asyncio``), a configuration file (``pathlib``, ``json``), a
#: ``typing_extensions`` name the program uses (it imports it itself).
DEFERRED = ("asyncio", "inspect", "json", "pathlib", "typing_extensions")


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_dioxide_leaves_the_costly_modules_for_later() -> None:
    out = run(
        f"""
        import sys
        import dioxide
        print(sorted(m for m in {DEFERRED!r} if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_a_typing_extensions_protocol_imported_after_dioxide_is_still_recognised() -> None:
    # Before Python 3.12, typing_extensions.Protocol is a class of its own:
    # a class implementing it without an __init__ is built with no
    # arguments, and a generic protocol is a marker base, not a provider.
    out = run(
        """
        from typing import TypeVar
        from dioxide import Container, Registry, component

        import typing_extensions

        T = TypeVar("T")

        class Greeter(typing_extensions.Protocol):
            def greet(self) -> str: ...

        class Source(typing_extensions.Protocol[T]):
            def get(self) -> T: ...

        registry = Registry()

        @component(registry=registry, provides=Greeter)
        class English:
            def greet(self) -> str:
                return "hello"

        @component(registry=registry)
        class Numbers(Source[int]):
            def get(self) -> int:
                return 3

        container = Container(registry=registry)
        print(container.resolve(Greeter).greet(), container.resolve(Numbers).get())
        """
    )
    assert out.split() == ["hello", "3"]


@pytest.mark.parametrize("suffix, text", [(".json", '{"port": 8080}'), (".env", "port=8080\n")])
def test_a_configuration_file_read_after_a_lazy_import(tmp_path: pathlib.Path, suffix: str, text: str) -> None:
    out = run(
        f"""
        import pathlib, sys
        from typing import Annotated
        from dioxide import ConfigFile, Container, Registry, Value, component

        path = pathlib.Path({str(tmp_path)!r}) / "settings{suffix}"
        path.write_text({text!r})
        registry = Registry()

        @component(registry=registry)
        class Server:
            def __init__(self, port: Annotated[int, Value("port")]) -> None:
                self.port = port

        container = Container(registry=registry)
        container.load_config(ConfigFile(str(path)))
        print(container.resolve(Server).port)
        """
    )
    assert out.strip() == "8080"
