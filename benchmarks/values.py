"""A configuration value injection against an instance injection, on the
resolve path.

Four transient classes, each with one constructor parameter, resolved over
and over from one container:

- ``instance``: the parameter is a class registered with ``register_instance``;
- ``value``: ``Annotated[object, Value("raw")]``, a value injected as is;
- ``converted``: ``Annotated[int, Value("db.pool_size")]``, loaded from an
  environment-variable string and converted to ``int`` (once per container:
  the resolve reads the converted value from the container's cache);
- ``section``: ``Annotated[DbSettings, Value("db")]``, a dataclass built
  from a section (once per container, too).

Run from the repo root (a release build: ``make build``)::

    python -m benchmarks.values                # best of 7 timings, ns per resolve
    python -m benchmarks.values --callgrind    # instructions per resolve, under valgrind

``--callgrind`` runs each case in a child under ``valgrind --tool=callgrind``
twice, with 2,000 and 12,000 resolves, and prints the difference divided by
10,000: the instructions of one resolve, start-up and warm-up cancelled out.
Unlike timings it does not move with the load of the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import timeit
from typing import Annotated, Any

from dioxide import Container, Registry, Value, component

CASES = ("instance", "value", "converted", "section")


class Config:
    pass


@dataclasses.dataclass
class DbSettings:
    url: str
    pool_size: int


def make_container() -> tuple[Container, dict[str, type]]:
    registry = Registry()

    @component(registry=registry)
    class WithInstance:
        def __init__(self, config: Config) -> None:
            self.config = config

    @component(registry=registry)
    class WithValue:
        def __init__(self, raw: Annotated[Any, Value("raw")]) -> None:
            self.raw = raw

    @component(registry=registry)
    class WithConverted:
        def __init__(self, pool_size: Annotated[int, Value("db.pool_size")]) -> None:
            self.pool_size = pool_size

    @component(registry=registry)
    class WithSection:
        def __init__(self, db: Annotated[DbSettings, Value("db")]) -> None:
            self.db = db

    container = Container(registry=registry)
    container.register_instance(Config, Config())
    container.load_config(
        {"raw": object(), "db": {"url": "sqlite://"}},
        env_prefix="BENCH_",
        environ={"BENCH_DB__POOL_SIZE": "10"},
    )
    container.validate()
    targets = {
        "instance": WithInstance,
        "value": WithValue,
        "converted": WithConverted,
        "section": WithSection,
    }
    assert container.resolve(WithConverted).pool_size == 10
    assert container.resolve(WithSection).db == DbSettings("sqlite://", 10)
    return container, targets


def timings(repeat: int, number: int) -> dict[str, float]:
    container, targets = make_container()
    found = {}
    for case in CASES:
        timer = timeit.Timer("resolve(target)", globals={
            "resolve": container.resolve, "target": targets[case]
        })
        found[case] = min(timer.repeat(repeat, number)) / number * 1e9
    return found


def _child(case: str, count: int) -> None:
    container, targets = make_container()
    resolve, target = container.resolve, targets[case]
    for _ in range(count):
        resolve(target)


def instructions(case: str, count: int) -> int:
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        subprocess.run(
            [
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                sys.executable, "-m", "benchmarks.values", "--child", case, str(count),
            ],
            check=True,
            capture_output=True,
        )
        with open(out, encoding="utf-8") as handle:
            summary = re.search(r"^summary:\s*(\d+)", handle.read(), re.MULTILINE)
        assert summary is not None, "no callgrind summary"
        return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    print("| injection | per resolve |")
    print("| --- | ---: |")
    if args.callgrind:
        for case in CASES:
            low, high = instructions(case, 2_000), instructions(case, 12_000)
            print(f"| {case} | {(high - low) / 10_000:,.0f} instructions |")
    else:
        for case, ns in timings(args.repeat, args.number).items():
            print(f"| {case} | {ns:.1f} ns |")


if __name__ == "__main__":
    main()
