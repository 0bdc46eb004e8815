"""dioxide: dependency injection for Python, resolved by a Rust core.

Decorate classes, then resolve::

    from dioxide import Container, component, singleton

    @singleton
    class Config:
        def __init__(self) -> None:
            self.dsn = "sqlite://"

    @component
    class UserRepository:
        def __init__(self, config: Config) -> None:
            self.config = config

    repo = Container().resolve(UserRepository)
"""

from dioxide._config import ConfigFile
from dioxide._container import Container
from dioxide._decorators import component, provider, singleton
from dioxide._markers import Named, Value
from dioxide._registry import Registry
from dioxide._scope import ContainerScope, Scope
from dioxide.exceptions import (
    AmbiguousProviderError,
    CaptiveDependencyError,
    CircularDependencyError,
    ConfigurationError,
    DependencyNotRegisteredError,
    DioxideError,
    DioxideTypeError,
    DuplicateRegistrationError,
    ResolutionError,
    ScopeError,
    ValidationError,
)

__all__ = [
    "AmbiguousProviderError",
    "CaptiveDependencyError",
    "CircularDependencyError",
    "ConfigFile",
    "ConfigurationError",
    "Container",
    "ContainerScope",
    "DependencyNotRegisteredError",
    "DioxideError",
    "DioxideTypeError",
    "DuplicateRegistrationError",
    "Named",
    "Registry",
    "ResolutionError",
    "Scope",
    "ScopeError",
    "ValidationError",
    "Value",
    "component",
    "provider",
    "singleton",
]

__version__ = "0.1.0"
