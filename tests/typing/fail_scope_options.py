"""What mypy must reject about scope options: a misspelt keyword, a misspelt
``Scope`` member, a number where a ``Scope`` or a level name is expected, and an option
a decorator does not take. Plain mypy (no plugin); every
``# type: ignore[code]`` pins one expected error under
``warn_unused_ignores``.

Not meant to run."""

from __future__ import annotations

from dioxide import Container, Scope, component, provider, singleton


class Config:
    pass


def make_config() -> Config:
    return Config()


# Misspelt keyword.
@component(scop=Scope.SINGLETON)  # type: ignore[call-overload]
class MisspeltKeyword:
    pass


# Misspelt member.
@component(scope=Scope.SINGELTON)  # type: ignore[attr-defined]
class MisspeltMember:
    pass


# A number is neither a Scope nor a level's name (strings name levels).
@component(scope=1)  # type: ignore[call-overload]
class StringScope:
    pass


# @singleton has no scope option: its scope is its name.
@singleton(scope=Scope.SCOPED)  # type: ignore[call-overload]
class SingletonWithScope:
    pass


# lifecycle is a bool.
@component(lifecycle="yes")  # type: ignore[call-overload]
class StringLifecycle:
    pass


# The same mistakes on @provider (mypy then also sees an untyped decorator).
@provider(scop=Scope.SCOPED)  # type: ignore[call-overload, untyped-decorator]
def misspelt_provider_keyword() -> Config:
    return Config()


@provider(scope=1)  # type: ignore[call-overload, untyped-decorator]
def string_provider_scope() -> Config:
    return Config()


@provider(scope=Scope.SCOPD)  # type: ignore[attr-defined]
def misspelt_provider_member() -> Config:
    return Config()


container = Container()

# And on the register_* methods.
container.register_class(Config, scop=Scope.SINGLETON)  # type: ignore[call-arg]
container.register_class(Config, scope=1)  # type: ignore[arg-type]
container.register_class(Config, scope=Scope.SINGELTON)  # type: ignore[attr-defined]
container.register_factory(Config, make_config, lifetime=Scope.SCOPED)  # type: ignore[call-arg]
container.register_factory(Config, make_config, scope=1)  # type: ignore[arg-type]
lifetime: Scope = "transient"  # type: ignore[assignment]
