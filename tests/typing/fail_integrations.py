"""What type checkers must reject about the web integrations: Flask's
``@inject`` keeps the view's signature (a ``ParamSpec``), so a direct call
with wrong arguments is an error. Every ``# type: ignore[code]`` pins one
expected error.

Not meant to run."""

from __future__ import annotations

from dioxide import flask as dioxide_flask


class Greeter:
    def greet(self, name: str) -> str:
        return f"hello {name}"


@dioxide_flask.inject
def greet(name: str, greeter: dioxide_flask.Inject[Greeter]) -> str:
    return greeter.greet(name)


greet(42, greeter=Greeter())  # type: ignore[arg-type]
greet("ada", greeter=Greeter(), extra=1)  # type: ignore[call-arg]
shown: int = greet("ada", greeter=Greeter())  # type: ignore[assignment]
