"""A one-file Django project wired by dioxide: the middleware's scope per
request, injected function and class-based views, an injected management
command.

Run the self-check (drives the project with Django's test client)::

    python examples/django_app.py
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django
from django.conf import settings

from dioxide import Container, Scope

settings.configure(
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["dioxide.django.DioxideMiddleware"],
    ALLOWED_HOSTS=["testserver"],
    DIOXIDE_CONTAINER=f"{__name__}.wiring",  # a function returning the container: called once
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import BaseCommand  # noqa: E402
from django.http import Http404, HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402
from django.views import View  # noqa: E402

from dioxide.django import Inject, container_of, inject  # noqa: E402


class Database:
    def __init__(self) -> None:
        self.users: dict[int, str] = {1: "ada", 2: "grace"}
        self.log: list[str] = []


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db


def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    db.log.append("begin")
    try:
        yield UnitOfWork(db)
    except BaseException:
        db.log.append("rollback")
        raise
    db.log.append("commit")


class Caller:
    def __init__(self, request: HttpRequest) -> None:
        self.name = request.headers.get("x-user", "anonymous")


class UserService:
    def __init__(self, work: UnitOfWork, caller: Caller) -> None:
        self.work = work
        self.caller = caller

    def name_of(self, user_id: int) -> str:
        if user_id not in self.work.db.users:
            raise Http404(f"no user {user_id}")
        return self.work.db.users[user_id]


def wiring() -> Container:
    container = Container()
    container.register_class(Database, scope=Scope.SINGLETON)
    container.register_factory(UnitOfWork, unit_of_work, scope=Scope.SCOPED)
    container.register_class(Caller, scope=Scope.SCOPED)
    container.register_class(UserService, scope=Scope.SCOPED)
    return container


@inject
def show_user(request: HttpRequest, user_id: int, users: Inject[UserService]) -> JsonResponse:
    return JsonResponse({"name": users.name_of(user_id), "asked by": users.caller.name})


class UsersView(View):
    @inject
    def get(self, request: HttpRequest, db: Inject[Database]) -> JsonResponse:
        return JsonResponse({"users": sorted(db.users.values())})


class Command(BaseCommand):
    help = "Print the user count."

    @inject
    def handle(self, *args: Any, work: Inject[UnitOfWork], **options: Any) -> None:
        self.stdout.write(f"{len(work.db.users)} users")


urlpatterns = [path("users/<int:user_id>", show_user), path("users", UsersView.as_view())]


def main() -> None:
    client = Client()
    response = client.get("/users/1", headers={"x-user": "grace"})
    print(f"GET /users/1 -> {response.status_code} {response.json()}")
    print(f"GET /users -> {client.get('/users').json()}")
    print(f"GET /users/9 -> {client.get('/users/9').status_code}")
    call_command(Command())
    print("unit of work:", ", ".join(container_of().resolve(Database).log))


if __name__ == "__main__":
    main()
