"""An asyncio app: async providers, async cleanup, one client for many tasks.

- ``settings`` is an ``async def`` provider (it could read a remote config).
- ``http_client`` is an async generator: connected on first use, closed by
  ``await container.aclose()`` (here: the end of ``async with Container()``).
- ``request_log`` is scoped: one per request, flushed when the request's
  ``async with`` scope exits.
- Ten tasks that ask for the client at once get the same one, built once.
- The synchronous ``resolve`` refuses what only ``aresolve`` can build.

Run it with `python examples/async_app.py`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from dioxide import Container, ResolutionError, Scope, component, provider


class Settings:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


class HttpClient:
    """A stand-in for an async HTTP client with a connection pool."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.connected = True

    async def get(self, path: str) -> str:
        await asyncio.sleep(0)
        return f"200 {self.base_url}{path}"

    async def close(self) -> None:
        await asyncio.sleep(0)
        self.connected = False


class RequestLog:
    """Lines logged during one request, written out when it ends."""

    def __init__(self, request: int) -> None:
        self.request = request
        self.lines: list[str] = []


@provider(scope=Scope.SINGLETON)
async def settings() -> Settings:
    await asyncio.sleep(0)
    print("settings: loaded")
    return Settings("https://weather.example")


@provider(scope=Scope.SINGLETON)
async def http_client(config: Settings) -> AsyncIterator[HttpClient]:
    await asyncio.sleep(0.01)
    print("http client: connect")
    client = HttpClient(config.base_url)
    yield client
    await client.close()
    print("http client: close")


_request_numbers = itertools.count(1)


@provider(scope=Scope.SCOPED)
async def request_log() -> AsyncIterator[RequestLog]:
    log = RequestLog(next(_request_numbers))
    print(f"request {log.request}: begin")
    yield log
    await asyncio.sleep(0)
    print(f"request {log.request}: flush {len(log.lines)} log line(s), end")


@component
class WeatherService:
    def __init__(self, client: HttpClient, log: RequestLog) -> None:
        self.client = client
        self.log = log

    async def forecast(self, city: str) -> str:
        response = await self.client.get(f"/forecast/{city}")
        self.log.lines.append(response)
        return response


async def handle(container: Container, city: str) -> None:
    async with container.create_scope() as scope:
        service = await scope.aresolve(WeatherService)
        print(f"  {await service.forecast(city)}")


async def main() -> None:
    async with Container() as container:
        try:
            container.resolve(HttpClient)
        except ResolutionError as error:
            print(f"sync resolve refused: {error.reason}")
        clients = await asyncio.gather(*(container.aresolve(HttpClient) for _ in range(10)))
        print(f"10 concurrent aresolve calls, one client: {all(c is clients[0] for c in clients)}")
        await handle(container, "paris")
        await handle(container, "oslo")
        client = await container.aresolve(HttpClient)
    print(f"container closed, client connected: {client.connected}")


if __name__ == "__main__":
    asyncio.run(main())
