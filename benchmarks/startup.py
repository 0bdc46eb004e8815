"""Start-up costs: decorating, making a container, the first resolve, registering.

Run from the repo root; it prints markdown tables (``--out PATH`` also writes
them to a file)::

    python -m benchmarks.startup                       # ~1 minute
    python -m benchmarks.startup --out startup.md
    python -m benchmarks.startup --classes 50 --repeat 3 --sizes 5,100 --checkpoints 10,100

Three measurements, each the best of ``--repeat`` runs timed with
``time.perf_counter``, the garbage collector off while timing:

1. **Start-up of a decorated application.** The text of a module of
   ``--classes`` classes forming a tree (each inner class's ``__init__``
   takes 1-3 classes defined before it; the last one is the root), with
   ``from __future__ import annotations``, is ``exec``-ed as a fresh module
   each run: decorated with ``@component(registry=registry)`` into a new
   :class:`dioxide.Registry`, then ``Container(registry=registry)`` and the
   first ``resolve`` of the root. Against it, the same module without
   decorators whose last line builds the root by calling the constructors,
   as a person would write it. "Including class creation" times the whole
   module; "excluding" defines the classes untimed and then times only the
   decorations + container + resolve, or only the constructor calls.
2. **Container creation and first resolve, against classes decorated
   elsewhere.** With 5 ... 20,000 unrelated classes decorated in the same
   registry, ``Container(registry=r)`` and the first resolve of a 3-class
   chain; the same with the default registry (decorators without
   ``registry=``). Timed both with nothing decorated since the last
   container, and right after one more decoration.
3. **Registering 50,000 times on one container**: ``register_class`` and
   ``register_instance`` of 50,000 distinct generated classes, with the time
   per call up to each checkpoint (linear: the last segment costs per call
   what the first did).

The S7 scenario of ``benchmarks.run`` (``make bench``) also runs this module,
as a child process per measurement, with a framework's name::

    python -m benchmarks.startup dioxide [SIZE]

It imports the framework and generates the 500 classes untimed, then times
registration (decorators included), container build and the first resolve of
the root, checks the result and prints one JSON line. A fresh interpreter per
measurement, because most frameworks' decorators register process-wide.
Import time is measured by :func:`import_command`: ``python -I -c`` with
nothing imported before the timer but ``time``, so modules the framework
pulls in (``typing``, ``inspect``, ``asyncio``...) count against it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

__all__ = [
    "GRAPH_SIZE",
    "import_command",
    "main",
    "measure_containers",
    "measure_registrations",
    "measure_s7",
    "measure_startup",
    "rss_bytes",
    "tree",
]

GRAPH_SIZE = 500

# --- S7 of benchmarks.run: one framework, one measurement, in a child -----


def rss_bytes() -> int:
    """Current resident set size (Linux ``/proc``; elsewhere the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def measure_s7(name: str, size: int = GRAPH_SIZE) -> dict[str, Any]:
    from benchmarks import frameworks
    from benchmarks.scenarios import check_s7, make_graph

    adapter = frameworks.load(name)
    start = getattr(adapter, "s7", None)
    if start is None:
        return {"status": "n/a"}
    graph = make_graph(size)
    prepare = getattr(adapter, "s7_prepare", None)
    extra = (prepare(graph),) if prepare is not None else ()
    gc.collect()
    rss_before = rss_bytes()
    began = time.perf_counter()
    root, resolve_again = start(graph, *extra)
    seconds = time.perf_counter() - began
    # Read after the clock stopped: what registering the graph, building the
    # container and the first resolve left resident (the objects included).
    rss_grown = rss_bytes() - rss_before
    check_s7(graph, root, resolve_again())
    return {"status": "ok", "seconds": seconds, "rss_bytes": rss_grown}


def import_command(modules: tuple[str, ...]) -> list[str]:
    """The child command printing how long ``import``-ing ``modules`` takes
    (as JSON, like the S7 child; ``json`` is imported after the clock stops)."""
    imports = "; ".join(f"import {module}" for module in modules)
    code = (
        "import time; _t = time.perf_counter(); "
        f"{imports}; "
        "_s = time.perf_counter() - _t; "
        "import json; print(json.dumps({'status': 'ok', 'seconds': _s}))"
    )
    return [sys.executable, "-I", "-c", code]


def s7_child(argv: list[str]) -> int:
    from benchmarks.scenarios import CheckFailed

    if len(argv) not in (1, 2):
        print("usage: python -m benchmarks.startup FRAMEWORK [SIZE]", file=sys.stderr)
        return 2
    size = int(argv[1]) if len(argv) == 2 else GRAPH_SIZE
    try:
        result = measure_s7(argv[0], size)
    except CheckFailed as failed:
        result = {"status": "check failed", "reason": str(failed)}
    except Exception as error:  # noqa: BLE001 - reported in the results, not raised
        result = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
    print(json.dumps(result))
    return 0


# --- timing helpers -------------------------------------------------------


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Collect, then keep the collector off for the timed block (as timeit)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _us(seconds: float) -> str:
    us = seconds * 1e6
    if us >= 10_000:
        return f"{us / 1e3:,.1f} ms"
    if us >= 100:
        return f"{us:,.0f} µs"
    return f"{us:.1f} µs"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- 1. start-up of a decorated application --------------------------------


def tree(classes: int, seed: int = 7) -> list[list[int]]:
    """A random tree of ``classes`` nodes in definition order: ``deps[i]``
    are the (earlier) classes ``C{i}`` takes; the last class is the root.
    Inner nodes have 1-3 children; every class is reached from the root once."""
    pick = random.Random(seed)
    children: list[list[int]] = [[] for _ in range(classes)]
    made, queue = 1, [0]  # breadth-first numbering, the root is 0
    while queue and made < classes:
        node = queue.pop(0)
        for _ in range(min(pick.randint(1, 3), classes - made)):
            children[node].append(made)
            queue.append(made)
            made += 1
    # Children have higher breadth-first numbers: reversed, they come first.
    return [sorted(classes - 1 - c for c in children[classes - 1 - i]) for i in range(classes)]


def _class_lines(deps: list[list[int]], decorator: str) -> list[str]:
    lines = []
    for index, takes in enumerate(deps):
        if decorator:
            lines.append(decorator)
        lines.append(f"class C{index}:")
        if not takes:
            lines.append("    pass\n")
            continue
        params = ", ".join(f"d{dep}: C{dep}" for dep in takes)
        lines.append(f"    def __init__(self, {params}) -> None:")
        lines += [f"        self.d{dep} = d{dep}" for dep in takes]
        lines.append("")
    return lines


def _construction(deps: list[list[int]], index: int) -> str:
    """The hand-written expression building ``C{index}`` and its subtree."""
    return f"C{index}({', '.join(_construction(deps, dep) for dep in deps[index])})"


_HEADER = "from __future__ import annotations\n"
_DIOXIDE_IMPORT = "from dioxide import Container, Registry, component\n"


def startup_texts(classes: int) -> dict[str, str]:
    """The generated modules: ``dioxide`` and ``handwritten`` (whole modules,
    classes included), ``plain`` (the classes only), and what runs after
    ``plain`` for the "excluding class creation" rows: ``decorate``,
    ``container``, ``resolve`` and ``construct``."""
    deps = tree(classes)
    root = classes - 1
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * classes + 100))
    construct = f"root = {_construction(deps, root)}\n"
    return {
        "dioxide": "\n".join(
            [_HEADER, _DIOXIDE_IMPORT, "registry = Registry()\n"]
            + _class_lines(deps, "@component(registry=registry)")
            + ["container = Container(registry=registry)", f"root = container.resolve(C{root})\n"]
        ),
        "handwritten": "\n".join([_HEADER] + _class_lines(deps, "") + [construct]),
        "plain": "\n".join([_HEADER, _DIOXIDE_IMPORT] + _class_lines(deps, "")),
        "decorate": "registry = Registry()\n"
        + "".join(f"component(registry=registry)(C{i})\n" for i in range(classes)),
        "container": "container = Container(registry=registry)\n",
        "resolve": f"root = container.resolve(C{root})\n",
        "construct": construct,
    }


def _check_tree(root: Any, classes: int) -> None:
    """``root`` is the root class's instance with every class built once below."""
    seen, stack = 0, [root]
    while stack:
        node = stack.pop()
        seen += 1
        stack += [value for key, value in vars(node).items() if key.startswith("d")]
    if type(root).__name__ != f"C{classes - 1}" or seen != classes:
        raise AssertionError(f"expected a C{classes - 1} over {classes} objects, got {seen}")


_MODULE = "benchmarks._startup_generated"


def _fresh_module() -> dict[str, Any]:
    module = types.ModuleType(_MODULE)
    sys.modules[_MODULE] = module
    return module.__dict__


def measure_startup(classes: int, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` seconds for every step of measurement 1."""
    codes = {
        key: compile(text, f"<{key}>", "exec", dont_inherit=True)
        for key, text in startup_texts(classes).items()
    }
    steps = ("decorate", "container", "resolve", "resolve_again")
    best: dict[str, float] = {}

    def keep(key: str, seconds: float) -> None:
        best[key] = min(best.get(key, seconds), seconds)

    try:
        for run in range(repeat + 1):  # the first run warms up, untimed
            for whole in ("dioxide", "handwritten"):
                namespace = _fresh_module()
                with _quiet_gc():
                    began = time.perf_counter()
                    exec(codes[whole], namespace)  # noqa: S102 - the generated module
                    seconds = time.perf_counter() - began
                _check_tree(namespace["root"], classes)
                if run:
                    keep(f"{whole}_with_classes", seconds)
            namespace = _fresh_module()
            exec(codes["plain"], namespace)  # noqa: S102
            with _quiet_gc():
                marks = [time.perf_counter()]
                for key in ("decorate", "container", "resolve", "resolve"):
                    exec(codes[key], namespace)  # noqa: S102
                    marks.append(time.perf_counter())
                first = namespace["root"]
                began = time.perf_counter()
                exec(codes["construct"], namespace)  # noqa: S102
                construct = time.perf_counter() - began
            _check_tree(first, classes)
            _check_tree(namespace["root"], classes)
            if run:
                for index, key in enumerate(steps):
                    keep(key, marks[index + 1] - marks[index])
                keep("dioxide_without_classes", marks[3] - marks[0])
                keep("handwritten_without_classes", construct)
    finally:
        sys.modules.pop(_MODULE, None)
    return best


def startup_markdown(classes: int, repeat: int, best: dict[str, float]) -> str:
    def row(label: str, key: str) -> list[str]:
        dioxide, handwritten = best[f"dioxide_{key}"], best[f"handwritten_{key}"]
        return [label, _us(dioxide), _us(handwritten), f"{dioxide / handwritten:.1f}x"]

    comparison = _table(
        ["", "dioxide", "hand-written", "dioxide / hand-written"],
        [
            row("including class creation", "with_classes"),
            row("excluding class creation", "without_classes"),
        ],
    )
    steps = _table(
        ["step (dioxide, classes already defined)", "best", "per class"],
        [
            [label, _us(best[key]), _us(best[key] / classes)]
            for label, key in (
                (f"decorate {classes} classes into a new Registry", "decorate"),
                ("Container(registry=registry)", "container"),
                ("first resolve(root): plans compiled, tree built", "resolve"),
                ("second resolve(root) on the same container", "resolve_again"),
            )
        ]
        + [
            [
                "hand-written: the constructor calls",
                _us(best["handwritten_without_classes"]),
                _us(best["handwritten_without_classes"] / classes),
            ]
        ],
    )
    return (
        f"## Start-up: {classes} decorated classes, Container, first resolve\n\n"
        f"A tree of {classes} classes (each inner class takes 1-3 earlier ones), "
        "`from __future__ import annotations`, exec'd as a fresh module each run; "
        f"best of {repeat}.\n\n{comparison}\n\n{steps}\n"
    )


# --- 2. container creation against classes decorated elsewhere -------------

_SMALL = """\
from __future__ import annotations

class Database:
    pass

class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db

class Service:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
"""


def _small_graph() -> dict[str, Any]:
    namespace = _fresh_module()
    exec(compile(_SMALL, "<small graph>", "exec", dont_inherit=True), namespace)  # noqa: S102
    return namespace


_made = 0


def _unrelated(count: int) -> list[type]:
    """``count`` new classes: one plain class, the others taking it."""
    global _made
    base = type(f"Base{_made}", (), {})
    classes = []
    for _ in range(count - 1):
        _made += 1

        def __init__(self: Any, base: Any) -> None:
            self.base = base

        __init__.__annotations__ = {"base": base, "return": None}
        classes.append(type(f"U{_made}", (), {"__init__": __init__}))
    return [base, *classes]


def _container_row(
    make: Callable[[], Any], root: type, decorate: Callable[[type], Any], samples: int
) -> dict[str, float]:
    """Best of ``samples``: a new container and its first resolve with
    nothing decorated since the last one; then, after one more decoration,
    the same, and the next resolve of a container that resolved before."""
    late = iter(range(3 * samples))

    def decorate_one() -> float:
        cls = type(f"Late{next(late)}", (), {})
        began = time.perf_counter()
        decorate(cls)
        return time.perf_counter() - began

    def check(instance: Any) -> None:
        if type(instance) is not root or type(instance.repo.db).__name__ != "Database":
            raise AssertionError(f"resolved {instance!r}")

    best: dict[str, float] = {}

    def keep(key: str, seconds: float) -> None:
        best[key] = min(best.get(key, seconds), seconds)

    Marker = type("Marker", (), {})
    marker = Marker()
    existing = make()
    check(existing.resolve(root))
    with _quiet_gc():
        for _ in range(samples):
            began = time.perf_counter()
            container = make()
            made = time.perf_counter()
            instance = container.resolve(root)
            done = time.perf_counter()
            check(instance)
            keep("container", made - began)
            keep("resolve", done - made)
            keep("total", done - began)
            del container
        for _ in range(samples):
            own = make()
            began = time.perf_counter()
            own.register_instance(Marker, marker)
            keep("register", time.perf_counter() - began)
            check(own.resolve(root))
            del own  # dropped untimed: it holds a copy of the snapshot
        for _ in range(samples):
            keep("decorate", decorate_one())
            began = time.perf_counter()
            instance = make().resolve(root)
            keep("new_after_decoration", time.perf_counter() - began)
            check(instance)
            keep("decorate", decorate_one())
            began = time.perf_counter()
            instance = existing.resolve(root)
            keep("existing_after_decoration", time.perf_counter() - began)
            check(instance)
    return best


def measure_containers(sizes: Sequence[int], samples: int) -> dict[str, list[dict[str, float]]]:
    """Measurement 2: one row per size, for a registry of its own and for
    the default registry (the same process: its sizes are topped up)."""
    from dioxide import Container, Registry, component

    rows: dict[str, list[dict[str, float]]] = {"own": [], "default": []}
    for size in sizes:
        registry = Registry()
        decorate = component(registry=registry)
        for cls in _unrelated(size):
            decorate(cls)
        small = _small_graph()
        for name in ("Database", "Repository", "Service"):
            decorate(small[name])
        row = _container_row(
            lambda registry=registry: Container(registry=registry),
            small["Service"],
            decorate,
            samples,
        )
        rows["own"].append({"size": size, "registry_len": len(registry), **row})
    small = _small_graph()
    for name in ("Database", "Repository", "Service"):
        component(small[name])
    decorated = 0
    for size in sizes:
        for cls in _unrelated(size - decorated):
            component(cls)
        decorated = size
        row = _container_row(Container, small["Service"], component, samples)
        rows["default"].append({"size": size, **row})
    return rows


def containers_markdown(rows: dict[str, list[dict[str, float]]], samples: int) -> str:
    header = [
        "unrelated classes decorated",
        "Container()",
        "first resolve",
        "total",
        "its first register_instance",
        "one more decoration",
        "then: new Container() + first resolve",
        "then: next resolve of an existing container",
    ]

    def cells(row: dict[str, float]) -> list[str]:
        return [
            f"{int(row['size']):,}",
            _us(row["container"]),
            _us(row["resolve"]),
            _us(row["total"]),
            _us(row["register"]),
            _us(row["decorate"]),
            _us(row["new_after_decoration"]),
            _us(row["existing_after_decoration"]),
        ]

    own = _table(header, [cells(row) for row in rows["own"]])
    default = _table(header, [cells(row) for row in rows["default"]])
    return (
        "## Container creation and first resolve vs classes decorated elsewhere\n\n"
        "A 3-class chain (`Service -> Repository -> Database`) decorated in a registry "
        "that also holds N unrelated decorated classes; best of "
        f"{samples}. The first four columns: a new container, nothing decorated since "
        "the last one (and, on another new container, one `register_instance` of a class "
        "of its own). The last three: one more class decorated (while containers share "
        "the registry's snapshot), then a new container and its first resolve, or the next "
        "resolve of a container that had resolved `Service` before.\n\n"
        f"`Container(registry=r)`, a `Registry()` of its own:\n\n{own}\n\n"
        f"`Container()`, the default registry (decorators without `registry=`):\n\n{default}\n"
    )


# --- 3. registering many times on one container ----------------------------


def measure_registrations(checkpoints: Sequence[int], repeat: int) -> dict[str, list[float]]:
    """Measurement 3: seconds to reach each checkpoint (cumulative), best of
    ``repeat`` fresh containers, for ``register_class`` and ``register_instance``."""
    from dioxide import Container, Registry

    total = checkpoints[-1]
    classes = [type(f"R{i}", (), {}) for i in range(total)]
    instances = [cls() for cls in classes]
    bounds = list(zip([0, *checkpoints[:-1]], checkpoints))
    results: dict[str, list[float]] = {}
    for operation in ("register_class", "register_instance"):
        best = [float("inf")] * len(bounds)
        for _ in range(repeat):
            container = Container(registry=Registry())
            register = getattr(container, operation)
            elapsed = 0.0
            with _quiet_gc():
                for index, (low, high) in enumerate(bounds):
                    began = time.perf_counter()
                    if operation == "register_class":
                        for cls in classes[low:high]:
                            register(cls)
                    else:
                        for cls, instance in zip(classes[low:high], instances[low:high]):
                            register(cls, instance)
                    elapsed += time.perf_counter() - began
                    best[index] = min(best[index], elapsed)
            last = container.resolve(classes[-1])
            if type(last) is not classes[-1] or (
                operation == "register_instance" and last is not instances[-1]
            ):
                raise AssertionError(f"{operation}: resolved {last!r}")
            container.close()
        results[operation] = best
    return results


def registrations_markdown(
    checkpoints: Sequence[int], repeat: int, results: dict[str, list[float]]
) -> str:
    rows = []
    for operation, cumulative in results.items():
        previous_calls, previous_seconds = 0, 0.0
        for calls, seconds in zip(checkpoints, cumulative):
            segment = (seconds - previous_seconds) / (calls - previous_calls)
            rows.append(
                [
                    f"`{operation}`",
                    f"{calls:,}",
                    _us(seconds),
                    f"{seconds / calls * 1e6:.2f} µs",
                    f"{segment * 1e6:.2f} µs (calls {previous_calls + 1:,}-{calls:,})",
                ]
            )
            previous_calls, previous_seconds = calls, seconds
    table = _table(
        ["operation", "calls", "total", "per call, overall", "per call, this stretch"],
        rows,
        right_from=1,
    )
    return (
        f"## register_* {checkpoints[-1]:,} times on one container\n\n"
        f"{checkpoints[-1]:,} distinct generated classes registered on one "
        f"`Container(registry=Registry())`; cumulative time at each count, best of {repeat}.\n\n"
        f"{table}\n"
    )


# --- the report ------------------------------------------------------------


def _ints(text: str) -> list[int]:
    values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def report(args: argparse.Namespace) -> str:
    import dioxide

    samples = args.repeat * 5
    parts = [
        "# dioxide start-up\n",
        f"dioxide {dioxide.__version__}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}; "
        "times are the best run, `time.perf_counter`, garbage collector off while timing.\n",
    ]
    log = print if args.progress else (lambda *_, **__: None)
    log(f"start-up: {args.classes} classes", file=sys.stderr)
    best = measure_startup(args.classes, args.repeat)
    parts.append(startup_markdown(args.classes, args.repeat, best))
    log(f"containers: sizes {args.sizes}", file=sys.stderr)
    parts.append(containers_markdown(measure_containers(args.sizes, samples), samples))
    checkpoints = sorted(set(args.checkpoints))
    log(f"registrations: {checkpoints}", file=sys.stderr)
    registrations = measure_registrations(checkpoints, args.repeat)
    parts.append(registrations_markdown(checkpoints, args.repeat, registrations))
    return "\n".join(parts)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-"):
        return s7_child(argv)  # `python -m benchmarks.startup FRAMEWORK [SIZE]`
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--classes", type=int, default=200, help="start-up tree size (200)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement, best kept (7)")
    parser.add_argument(
        "--sizes",
        type=_ints,
        default=[5, 1_000, 5_000, 20_000],
        help="unrelated decorated classes, one row each (5,1000,5000,20000)",
    )
    parser.add_argument(
        "--checkpoints",
        type=_ints,
        default=[1_000, 10_000, 50_000],
        help="register_* counts to report; the largest is the total (1000,10000,50000)",
    )
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    parser.add_argument("--progress", action="store_true", help="log each measurement to stderr")
    args = parser.parse_args(argv)
    if args.classes < 2 or args.repeat < 1:
        parser.error("--classes needs at least 2 and --repeat at least 1")
    text = report(args)
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
