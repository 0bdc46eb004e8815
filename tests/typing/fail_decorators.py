"""What mypy must reject after decoration: the decorators return the class or
function unchanged, so its own signature is still enforced. Plain mypy (no
plugin); every ``# type: ignore[code]`` pins one expected error under
``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

from dioxide import Scope, component, provider, singleton


@singleton
class Config:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


@component
class UserService:
    def __init__(self, config: Config) -> None:
        self.config = config


@component(scope=Scope.SCOPED)
class RequestContext:
    def __init__(self, service: UserService) -> None:
        self.service = service


class Database:
    pass


@provider
def database(config: Config) -> Database:
    return Database()


@provider(scope=Scope.SINGLETON)
def shared_database(config: Config) -> Database:
    return Database()


# A decorated class keeps its constructor: arguments are checked...
UserService()  # type: ignore[call-arg]
UserService(config="sqlite://")  # type: ignore[arg-type]
RequestContext(Config())  # type: ignore[arg-type]
Config(dsn=5)  # type: ignore[arg-type]
# ...and so are its attributes.
UserService(Config()).repository  # type: ignore[attr-defined]

# A provider keeps its parameters and return type, bare or with arguments.
database()  # type: ignore[call-arg]
database("sqlite://")  # type: ignore[arg-type]
shared_database(settings=Config())  # type: ignore[call-arg]
count: int = shared_database(Config())  # type: ignore[assignment]


# The class decorators take classes, not functions.
@component  # type: ignore[call-overload]
def not_a_class() -> Config:
    return Config()
