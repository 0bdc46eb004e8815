"""The web integrations keep types: an ``Inject[T]`` parameter is a ``T``
inside the endpoint or view, and ``dioxide.flask.resolve`` returns ``T``.
mypy --strict accepts this file with no ignore comment, and it runs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from typing_extensions import assert_type

import click
from aiohttp import web
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from dioxide import Container
from dioxide import aiohttp as dioxide_aiohttp
from dioxide import click as dioxide_click
from dioxide import fastapi as dioxide_fastapi
from dioxide import flask as dioxide_flask
from dioxide import starlette as dioxide_starlette
from dioxide import typer as dioxide_typer


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


def container_getters(app: FastAPI, flask: Flask, aio: web.Application) -> None:
    assert_type(dioxide_fastapi.container_of(app), Container)
    assert_type(dioxide_flask.container_of(flask), Container)
    assert_type(dioxide_aiohttp.container_of(aio), Container)


@dioxide_starlette.inject
async def starlette_endpoint(
    request: Request, greeter: dioxide_starlette.Inject[Greeter]
) -> PlainTextResponse:
    assert_type(greeter, Greeter)
    return PlainTextResponse(greeter.greet("ada"))


@dioxide_aiohttp.inject
async def aiohttp_handler(
    request: web.Request, greeter: dioxide_aiohttp.Inject[Greeter]
) -> web.Response:
    assert_type(greeter, Greeter)
    return web.Response(text=greeter.greet("ada"))


@click.command()
def click_command(greeter: dioxide_click.Inject[Greeter]) -> None:
    assert_type(greeter, Greeter)


def typer_command(name: str, greeter: dioxide_typer.Inject[Greeter]) -> None:
    assert_type(greeter, Greeter)


def container() -> Container:
    fresh = Container()
    fresh.register_class(Greeter)
    return fresh


if __name__ == "__main__":
    # attach() closes its container when the app shuts down: one each.
    with TestClient(fastapi_app(container())) as client:
        assert client.get("/greet/ada").json() == "hello ada"
    assert flask_app(container()).test_client().get("/greet/ada").text == "hello ada"
