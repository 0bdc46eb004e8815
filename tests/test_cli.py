"""``python -m dioxide check|graph``, run as a subprocess: exit codes and output.

Exit codes: 0 clean, 1 wiring problems (or a graph that could not be
rendered), 2 a wrong command line or target.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ANSI = "\033["

CLEAN_APP = """
from dioxide import Container, Scope


class Config:
    pass


class Database:
    def __init__(self, config: Config) -> None:
        self.config = config


def create_container() -> Container:
    container = Container()
    container.register_class(Config, scope=Scope.SINGLETON)
    container.register_class(Database, scope=Scope.SINGLETON)
    return container


container = create_container()
settings = {"container": container}
not_a_container = 42


def needs_arguments(profile: str) -> Container:
    return Container(profile=profile)


def returns_something_else() -> str:
    return "container"


def crashes() -> Container:
    raise ValueError("no database today")
"""

BROKEN_APP = """
from dioxide import Container, Scope


class Config:
    pass


class Database:
    def __init__(self, config: Config) -> None:
        self.config = config


class Session:
    pass


class Cache:
    def __init__(self, session: Session) -> None:
        self.session = session


container = Container()
container.register_class(Database)
container.register_class(Cache, scope=Scope.SINGLETON)
container.register_class(Session, scope=Scope.SCOPED)
"""

CYCLIC_APP = """
from dioxide import component


@component
class Chicken:
    def __init__(self, egg: "Egg") -> None:
        self.egg = egg


@component
class Egg:
    def __init__(self, chicken: Chicken) -> None:
        self.chicken = chicken


from dioxide import Container

container = Container()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with the application modules the commands point at."""
    for name, source in [
        ("clean_app", CLEAN_APP),
        ("broken_app", BROKEN_APP),
        ("cyclic_app", CYCLIC_APP),
        ("crashing_app", "raise RuntimeError('import-time failure')\n"),
        ("importing_app", "import a_package_that_is_not_installed\n"),
    ]:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


def dioxide(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dioxide", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_of_a_clean_container_exits_0(project: Path) -> None:
    result = dioxide(project, "check", "clean_app:container")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "clean_app:container: no wiring problems (2 providers checked)\n"
    assert result.stderr == ""


def test_check_calls_a_factory_that_returns_the_container(project: Path) -> None:
    result = dioxide(project, "check", "clean_app:create_container")

    assert result.returncode == 0, result.stderr
    assert "no wiring problems" in result.stdout


def test_check_follows_dotted_attributes(project: Path) -> None:
    result = dioxide(project, "check", "clean_app:create_container.__call__")

    assert result.returncode == 0, result.stderr


def test_check_lists_every_wiring_problem_and_exits_1(project: Path) -> None:
    result = dioxide(project, "check", "broken_app:container")

    assert result.returncode == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "broken_app:container: 2 wiring problems"
    assert lines[2].startswith(
        "1. cannot resolve Database: Database needs Config for parameter 'config'"
    )
    assert lines[2].endswith("[DependencyNotRegisteredError]")
    assert "chain: Database -> Config" in lines[3]
    assert "hint: decorate Config with @component" in lines[4]
    assert lines[6].startswith("2. singleton Cache depends on scoped Session")
    assert lines[6].endswith("[CaptiveDependencyError]")
    assert "chain: Cache -> Session" in lines[7]
    assert "hint: make Cache scoped or transient" in lines[8]


def test_check_reports_a_registration_refused_at_import_as_a_problem(project: Path) -> None:
    result = dioxide(project, "check", "cyclic_app:container")

    assert result.returncode == 1
    assert "cyclic_app:container: 1 wiring problem, found while loading it" in result.stdout
    assert "[CircularDependencyError]" in result.stdout
    assert "Chicken -> Egg -> Chicken" in result.stdout or "Egg -> Chicken -> Egg" in result.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("clean_app", "invalid target 'clean_app': expected module:attribute"),
        ("clean_app:", "invalid target 'clean_app:': expected module:attribute"),
        ("no_such_module:container", "cannot import module 'no_such_module'"),
        ("clean_app:missing", "module 'clean_app' has no attribute 'missing'"),
        ("clean_app:not_a_container", "not_a_container is 42 (int), not a dioxide Container"),
        ("clean_app:needs_arguments", "needs_arguments cannot be called without arguments"),
        ("clean_app:returns_something_else", "returned str, not a dioxide Container"),
    ],
)
def test_bad_target_is_a_usage_error(project: Path, target: str, message: str) -> None:
    for command in ("check", "graph"):
        result = dioxide(project, command, target)

        assert result.returncode == 2, result.stdout
        assert result.stdout == ""
        assert result.stderr.startswith("error: ")
        assert message in result.stderr
        assert "hint: " in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "crashing_app:container",
            "importing crashing_app raised RuntimeError: import-time failure",
        ),
        (
            "importing_app:container",
            "importing importing_app raised ModuleNotFoundError: "
            "No module named 'a_package_that_is_not_installed'",
        ),
        ("clean_app:crashes", "calling clean_app:crashes raised ValueError: no database today"),
    ],
)
def test_target_that_crashes_shows_its_traceback(project: Path, target: str, message: str) -> None:
    result = dioxide(project, "check", target)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback (most recent call last):" in result.stderr


def graph_text(project: Path, target: str, format: str) -> str:
    """What ``container.graph(format)`` returns for ``module:attribute``."""
    module, attribute = target.split(":")
    script = f"import {module}; print({module}.{attribute}.graph({format!r}), end='')"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def test_graph_prints_mermaid_by_default(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container")

    assert result.returncode == 0, result.stderr
    assert result.stdout == graph_text(project, "clean_app:container", "mermaid")
    assert result.stdout.startswith("graph TD\n")
    assert "Database" in result.stdout and "Config" in result.stdout


def test_graph_prints_dot_when_asked(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container", "--format", "dot")

    assert result.returncode == 0, result.stderr
    assert result.stdout == graph_text(project, "clean_app:container", "dot")
    assert result.stdout.startswith("digraph dioxide {\n")


def test_graph_shows_missing_providers_without_failing(project: Path) -> None:
    result = dioxide(project, "graph", "broken_app:container")

    assert result.returncode == 0, result.stderr
    assert result.stdout == graph_text(project, "broken_app:container", "mermaid")


@pytest.mark.parametrize(
    ("file_name", "first_line"), [("graph.mmd", "graph TD"), ("graph.dot", "digraph dioxide {")]
)
def test_graph_writes_text_files_in_the_format_of_their_suffix(
    project: Path, file_name: str, first_line: str
) -> None:
    result = dioxide(project, "graph", "clean_app:container", "--output", file_name)

    assert result.returncode == 0, result.stderr
    assert (project / file_name).read_text().splitlines()[0] == first_line
    assert file_name in result.stdout


# `make test` installs Graphviz and sets DIOXIDE_TEST_EVERYTHING=1, so there
# these tests run (and fail without `dot`) instead of skipping.
needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("DIOXIDE_TEST_EVERYTHING") != "1",
    reason="Graphviz's dot is not installed (make test installs it)",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@needs_graphviz
def test_graph_renders_svg_with_graphviz(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container", "--output", "graph.svg")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote graph.svg\n"
    svg = (project / "graph.svg").read_text()
    assert "<svg" in svg
    assert ">Database (singleton)</text>" in svg and ">Config (singleton)</text>" in svg


@needs_graphviz
@pytest.mark.parametrize("args", [("-o", "graph.png"), ("--format", "png", "-o", "graph.png")])
def test_graph_renders_png_with_graphviz(project: Path, args: tuple[str, ...]) -> None:
    result = dioxide(project, "graph", "clean_app:container", *args)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote graph.png\n"
    assert (project / "graph.png").read_bytes().startswith(PNG_SIGNATURE)


@needs_graphviz
def test_graph_format_png_without_output_writes_the_image_to_a_pipe(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dioxide", "graph", "clean_app:container", "--format", "png"],
        cwd=project,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(PNG_SIGNATURE)
    assert result.stderr == b""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_graph_format_png_refuses_to_write_an_image_to_a_terminal(project: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "dioxide", "graph", "clean_app:container", "--format", "png"],
            cwd=project,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(leader)
        os.close(follower)

    assert process.returncode == 2
    assert "--format png is an image, not text for a terminal" in process.stderr
    assert "add --output graph.png" in process.stderr


def test_graph_format_must_match_the_output_suffix(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container", "--format", "png", "-o", "graph.svg")

    assert result.returncode == 2
    assert "--format png does not match graph.svg" in result.stderr
    assert not (project / "graph.svg").exists()


def test_graph_prints_a_text_tree_for_the_terminal(project: Path) -> None:
    result = dioxide(project, "graph", "broken_app:container", "--format", "tree")

    assert result.returncode == 0, result.stderr
    assert result.stdout == graph_text(project, "broken_app:container", "tree")
    assert result.stdout == textwrap.dedent(
        """\
        Database (transient)
        └── config: Config (not registered)
        Cache (singleton)
        └── session: Session (scoped: request)
        """
    )


def test_graph_writes_the_tree_to_a_txt_file(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container", "-o", "graph.txt")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote graph.txt (tree)\n"
    assert (project / "graph.txt").read_text() == graph_text(project, "clean_app:container", "tree")


def test_graph_cannot_render_a_tree(project: Path) -> None:
    result = dioxide(project, "graph", "clean_app:container", "--format", "tree", "-o", "graph.svg")

    assert result.returncode == 2
    assert "cannot render graph.svg from a text tree" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="a script with a shebang stands in for dot")
def test_graph_hands_dot_text_to_graphviz(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bin_dir = tmp_path_factory.mktemp("bin")
    fake_dot = bin_dir / "dot"
    fake_dot.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "pathlib.Path(__file__).with_name('args').write_text(' '.join(sys.argv[1:]))\n"
        "pathlib.Path(sys.argv[3]).write_text(sys.stdin.read())\n"
    )
    fake_dot.chmod(0o755)

    result = dioxide(
        project, "graph", "clean_app:container", "-o", "graph.png", env={"PATH": str(bin_dir)}
    )

    assert result.returncode == 0, result.stderr
    assert (bin_dir / "args").read_text().split() == ["-Tpng", "-o", "graph.png"]
    assert (project / "graph.png").read_text().startswith("digraph dioxide {")


def test_graph_render_without_graphviz_says_how_to_get_it(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    empty_path = str(tmp_path_factory.mktemp("no_bin"))

    result = dioxide(
        project, "graph", "clean_app:container", "-o", "graph.svg", env={"PATH": empty_path}
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert "rendering graph.svg needs Graphviz's `dot` command" in result.stderr
    assert "not on PATH" in result.stderr
    assert "install Graphviz" in result.stderr
    assert not (project / "graph.svg").exists()


def test_graph_cannot_render_mermaid(project: Path) -> None:
    result = dioxide(
        project, "graph", "clean_app:container", "--format", "mermaid", "-o", "graph.svg"
    )

    assert result.returncode == 2
    assert "cannot render graph.svg from Mermaid" in result.stderr


def test_graph_of_a_module_that_fails_to_wire_exits_1(project: Path) -> None:
    result = dioxide(project, "graph", "cyclic_app:container")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "[CircularDependencyError]" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("frobnicate", "clean_app:container"),
        ("check",),
        ("graph", "clean_app:container", "--format", "jpeg"),
    ],
)
def test_bad_command_line_exits_2_with_usage(project: Path, args: tuple[str, ...]) -> None:
    result = dioxide(project, *args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: python -m dioxide" in result.stderr


def test_help_describes_the_commands(project: Path) -> None:
    result = dioxide(project, "--help")

    assert result.returncode == 0
    assert "check" in result.stdout and "graph" in result.stdout
    assert "module:attribute" in result.stdout


def test_version(project: Path) -> None:
    import dioxide as package

    result = dioxide(project, "--version")

    assert result.returncode == 0
    assert result.stdout == f"dioxide {package.__version__}\n"


def test_output_has_no_colour_when_not_a_terminal(project: Path) -> None:
    for target in ("clean_app:container", "broken_app:container", "clean_app"):
        result = dioxide(project, "check", target)

        assert ANSI not in result.stdout + result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_colour_can_be_forced(project: Path, where: str) -> None:
    args = ["--color", "always", "check", "broken_app:container"]
    if where == "after":
        args = ["check", "broken_app:container", "--color", "always"]

    result = dioxide(project, *args)

    assert result.returncode == 1
    assert result.stdout.startswith(f"{ANSI}1;31mbroken_app:container: 2 wiring problems")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_terminal_gets_colour_unless_no_color_is_set(
    project: Path, no_color: str, coloured: bool
) -> None:
    import pty

    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        environment["NO_COLOR"] = no_color
    try:
        process = subprocess.run(
            [sys.executable, "-m", "dioxide", "check", "clean_app:container"],
            cwd=project,
            env=environment,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
        output = os.read(leader, 65536).decode()
    finally:
        os.close(leader)
        os.close(follower)

    assert process.returncode == 0
    assert "no wiring problems" in output
    assert (ANSI in output) is coloured
