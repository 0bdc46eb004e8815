"""The web integrations keep types: an ``Inject[T]`` parameter is a ``T``
inside the endpoint or view, and ``dioxide.flask.resolve`` returns ``T``.
mypy --strict accepts this file with no ignore comment, and it runs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from typing_extensions import assert_type

from dioxide import Container
from dioxide import fastapi as dioxide_fastapi
from dioxide import flask as dioxide_flask


class Greeter:
    def greet(self, name: str) -> str:
        return f"hello {name}"


def fastapi_app(container: Container) -> FastAPI:
    app = FastAPI()
    assert_type(dioxide_fastapi.attach(app, container), None)

    @app.get("/greet/{name}")
    def greet(name: str, greeter: dioxide_fastapi.Inject[Greeter]) -> str:
        assert_type(greeter, Greeter)
        return greeter.greet(name)

    return app


def flask_app(container: Container) -> Flask:
    app = Flask(__name__)
    extension = dioxide_flask.Dioxide(app, container)
    assert_type(extension, dioxide_flask.Dioxide)

    @app.get("/greet/<name>")
    @dioxide_flask.inject
    def greet(name: str, greeter: dioxide_flask.Inject[Greeter]) -> str:
        assert_type(greeter, Greeter)
        assert_type(dioxide_flask.resolve(Greeter), Greeter)
        return greeter.greet(name)

    def direct_call() -> None:
        # @inject keeps the view's signature: a direct call (a test's) is checked.
        assert_type(greet("ada", greeter=Greeter()), str)

    assert_type(direct_call, Callable[[], None])
    return app


def container() -> Container:
    fresh = Container()
    fresh.register_class(Greeter)
    return fresh


if __name__ == "__main__":
    # attach() closes its container when the app shuts down: one each.
    with TestClient(fastapi_app(container())) as client:
        assert client.get("/greet/ada").json() == "hello ada"
    assert flask_app(container()).test_client().get("/greet/ada").text == "hello ada"
