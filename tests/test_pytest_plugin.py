"""The pytest plugin: ``dioxide_container`` and ``dioxide_override``.

Each test writes a small test suite and runs pytest on it in a subprocess
(``pytester``), so the plugin is loaded the way users get it: through the
``pytest11`` entry point, with warnings turned into errors.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

#: Classes the generated suites share; undecorated, so every test registers
#: what it needs on its own container.
MODELS = """
from collections.abc import Iterator

from dioxide import Container, Scope


class Clock:
    def now(self) -> str:
        return "real time"


class FixedClock(Clock):
    def now(self) -> str:
        return "12:00"


class Report:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(models=MODELS)
    return pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider", *args)


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="pytest11")}

    assert plugins.get("dioxide") == "dioxide.pytest_plugin"


def test_each_test_gets_a_fresh_container_closed_after_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fresh="""
        from models import Clock, Container, Scope

        seen = []
        closed = []

        def clock():
            yield Clock()
            closed.append(len(seen))

        def test_first(dioxide_container):
            dioxide_container.register_factory(Clock, clock, scope=Scope.SINGLETON)
            seen.append(dioxide_container.resolve(Clock))
            assert isinstance(dioxide_container, Container)

        def test_second(dioxide_container):
            assert closed == [1]  # the first test's container was closed
            # registering again raises no DuplicateRegistrationError: a new container
            dioxide_container.register_factory(Clock, clock, scope=Scope.SINGLETON)
            assert dioxide_container.resolve(Clock) is not seen[0]
        """
    )

    run(pytester).assert_outcomes(passed=2)


def test_override_lasts_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        conftest="""
        import pytest
        from models import Clock, Container, Report

        @pytest.fixture(scope="module")
        def shared():
            with Container() as container:
                container.register_class(Clock, scope=Scope.SINGLETON)
                container.register_class(Report)
                yield container

        @pytest.fixture
        def dioxide_container(shared):
            return shared

        from models import Scope
        """,
        test_override="""
        from models import Clock, FixedClock, Report

        def test_overridden(dioxide_container, dioxide_override):
            fixed = dioxide_override(Clock, FixedClock())
            assert dioxide_container.resolve(Report).clock is fixed
            assert dioxide_container.resolve(Clock).now() == "12:00"

        def test_back_to_the_real_provider(dioxide_container):
            assert dioxide_container.resolve(Clock).now() == "real time"
        """,
    )

    run(pytester).assert_outcomes(passed=2)


def test_override_takes_classes_and_factories(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_kinds="""
        from models import Clock, FixedClock, Report, Scope

        def make_clock() -> Clock:
            return FixedClock()

        def test_class(dioxide_container, dioxide_override):
            dioxide_container.register_class(Report)
            dioxide_override(Clock, FixedClock, scope=Scope.SINGLETON)
            report = dioxide_container.resolve(Report)
            assert report.clock is dioxide_container.resolve(Report).clock
            assert report.clock.now() == "12:00"

        def test_factory(dioxide_container, dioxide_override):
            assert dioxide_override(Clock, make_clock) is make_clock
            assert dioxide_container.resolve(Clock).now() == "12:00"
        """
    )

    run(pytester).assert_outcomes(passed=2)


def test_profile_comes_from_the_marker_or_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        dioxide_profile = test
        """
    )
    pytester.makepyfile(
        test_profiles="""
        import pytest

        def test_ini_profile(dioxide_container):
            assert dioxide_container.profile == "test"

        @pytest.mark.dioxide(profile="prod")
        def test_marker_profile(dioxide_container):
            assert dioxide_container.profile == "prod"

        @pytest.mark.dioxide(profile=None)
        def test_marker_clears_the_profile(dioxide_container):
            assert dioxide_container.profile is None
        """
    )

    run(pytester, "--strict-markers").assert_outcomes(passed=3)


def test_container_has_no_profile_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_default="""
        def test_no_profile(dioxide_container):
            assert dioxide_container.profile is None
        """
    )

    run(pytester).assert_outcomes(passed=1)


def test_marker_with_unknown_options_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad_marker="""
        import pytest

        @pytest.mark.dioxide(profiles="prod")
        def test_typo(dioxide_container):
            pass
        """
    )

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*DioxideTypeError: @pytest.mark.dioxide takes only profile=*"])


def test_fixtures_are_documented(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--fixtures")

    result.stdout.fnmatch_lines(
        ["dioxide_container -- *", "    A fresh container for one test, closed when the test ends*"]
    )
    result.stdout.fnmatch_lines(
        ["dioxide_override -- *", "    Override providers of ``dioxide_container`` for one test*"]
    )


def test_marker_is_listed(pytester: pytest.Pytester) -> None:
    run(pytester, "--markers").stdout.fnmatch_lines(["@pytest.mark.dioxide(profile=None):*"])
