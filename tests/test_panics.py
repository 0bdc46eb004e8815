"""A Rust panic reaches Python as an exception, never as an abort; and no
input, however wrong, makes the extension panic.

``_dioxide_core._debug_panic`` panics on purpose: it checks the build keeps
unwinding panics into pyo3's ``PanicException`` (a ``BaseException``, so
that ``except Exception`` does not swallow a bug). The private entry points
of the extension are then called with junk: each must raise an ordinary
exception (or accept it), never panic.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any, Callable

import pytest
from dioxide import Container, DioxideError, Scope, _dioxide_core
from dioxide._dioxide_core import _RustContainer, _RustScope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def is_panic(error: BaseException) -> bool:
    return type(error).__name__ == "PanicException"


class Config: ...


class Service:
    def __init__(self, config: Config) -> None:
        self.config = config


def working_container() -> Container:
    container = Container()
    container.register_class(Config, scope=Scope.SINGLETON)
    container.register_class(Service)
    return container


def test_a_panic_surfaces_as_a_panic_exception() -> None:
    with pytest.raises(BaseException) as info:
        _dioxide_core._debug_panic()

    assert is_panic(info.value)
    assert not isinstance(info.value, Exception), "a panic is a bug: `except Exception` must not hide it"
    assert "deliberate panic" in str(info.value)


def test_the_interpreter_keeps_working_after_a_panic() -> None:
    container = working_container()
    service = container.resolve(Service)
    for _ in range(3):
        with pytest.raises(BaseException) as info:
            _dioxide_core._debug_panic()
        assert is_panic(info.value)

    assert container.resolve(Service).config is service.config
    assert isinstance(working_container().resolve(Service), Service)


@pytest.mark.parametrize(
    "spelling",
    [
        lambda container, scope: container.resolve(Config),
        lambda container, scope: container[Config],
        lambda container, scope: scope.resolve(Config),
        lambda container, scope: scope[Config],
    ],
    ids=["container.resolve", "container[T]", "scope.resolve", "scope[T]"],
)
def test_a_panic_in_the_cached_singleton_path_surfaces_as_a_panic_exception(
    spelling: Callable[[Any, Any], Any],
) -> None:
    # That path runs outside PyO3's trampoline (src/bindings/fast.rs), so it
    # catches panics itself; `in_resolve=True` makes its next lookup panic.
    container = working_container()
    config = container.resolve(Config)
    scope = container.create_scope()
    _dioxide_core._debug_panic(in_resolve=True)

    with pytest.raises(BaseException) as info:
        spelling(container, scope)

    assert is_panic(info.value)
    assert "deliberate panic in the cached-singleton path" in str(info.value)
    assert spelling(container, scope) is config
    assert container.resolve(Service).config is config


def test_a_panic_in_a_thread_is_raised_in_that_thread() -> None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            _dioxide_core._debug_panic()
        except BaseException as error:  # noqa: BLE001 - the panic itself
            caught.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)

    assert len(caught) == 1 and is_panic(caught[0])
    assert isinstance(working_container().resolve(Service), Service)


def test_a_panic_does_not_abort_the_process() -> None:
    script = (
        "from dioxide import _dioxide_core\n"
        "try:\n"
        "    _dioxide_core._debug_panic()\n"
        "except BaseException as error:\n"
        "    print('caught', type(error).__name__)\n"
        "print('still running')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["caught PanicException", "still running"]


# -- junk into every private entry point ---------------------------------

JUNK: list[Any] = [
    None,
    0,
    -1,
    2**64 - 1,
    2**80,
    "",
    "x" * 1000,
    b"\x00",
    [],
    [None],
    {},
    (),
    ((),),
    object(),
    Config,
    Config(),
    int,
    list[int],
    lambda: None,
]


def private_calls(container: Any, scope: Any) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each private entry point, fed one junk value where it expects data."""
    return [
        ("resolve", lambda j: container.resolve(j)),
        ("_register", lambda j: container._register(j)),
        ("_register entry", lambda j: container._register([j])),
        ("_register fields", lambda j: container._register([(Config, Config, j, j, j, j, j, j)])),
        ("_register deps", lambda j: container._register([(Config, Config, "transient", "call", [j], None, [], None)])),
        ("_register_value", lambda j: container._register_value(j, j)),
        ("_resolve_prebuilt", lambda j: container._resolve_prebuilt(Service, j)),
        ("_resolve_prebuilt index", lambda j: container._resolve_prebuilt(Service, {}, j)),
        ("_resolve_prebuilt values", lambda j: container._resolve_prebuilt(Service, {j: j})),
        ("_async_plan", lambda j: container._async_plan(j)),
        ("_cached", lambda j: container._cached(j)),
        ("_store", lambda j: container._store(j, j)),
        ("_override_push", lambda j: container._override_push(j)),
        ("_override_pop", lambda j: container._override_pop(j)),
        ("_validate", lambda j: container._validate()),
        ("_providers", lambda j: container._providers()),
        ("_finalize", lambda j: container._finalize(j)),
        ("contains", lambda j: j in container),
        ("scope resolve", lambda j: scope.resolve(j)),
        ("scope _resolve_prebuilt", lambda j: scope._resolve_prebuilt(Service, {}, j)),
        ("scope _store", lambda j: scope._store(j, j)),
        ("scope _cached", lambda j: scope._cached(j)),
        ("scope new", lambda j: _RustScope(j)),
        ("container new", lambda j: _RustContainer(j)),
        ("install_exceptions", lambda j: _dioxide_core.install_exceptions(j)),
    ]


def call_without_panic(call: Callable[[Any], Any], junk: Any) -> None:
    try:
        call(junk)
    except Exception:  # noqa: BLE001, S110 - any ordinary exception is fine
        pass
    except BaseException as error:  # pragma: no cover - the failure being tested for
        assert not is_panic(error), f"panicked: {error}"
        raise


@pytest.mark.parametrize("name", [name for name, _ in private_calls(None, None)])
def test_private_entry_points_never_panic_on_junk(name: str) -> None:
    container = working_container()
    scope = container.create_scope()
    call = dict(private_calls(container, scope))[name]
    for junk in JUNK:
        call_without_panic(call, junk)

    # Whatever was accepted, the container still answers sanely.
    try:
        container.resolve(Service)
    except DioxideError:
        pass
    assert isinstance(working_container().resolve(Service), Service)


junk_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from([Config, Service, int, object, "transient", "singleton", "call", "instance"]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.lists(inner, min_size=8, max_size=8).map(tuple),
    max_leaves=12,
)


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(entries=st.lists(junk_values, max_size=3), probe=junk_values)
def test_random_registration_data_never_panics(entries: list[Any], probe: Any) -> None:
    container = working_container()
    call_without_panic(lambda j: container._register(j), entries)
    call_without_panic(lambda j: container.resolve(j), probe)
    call_without_panic(lambda j: container._validate(), None)
    call_without_panic(lambda j: container._providers(), None)
