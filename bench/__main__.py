"""`python -m bench [name ...] [--quick]`: run the benchmarks (all by default)."""

from __future__ import annotations

import importlib
import sys

BENCHES = ["simulator", "failover", "probes", "dashboard"]


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or BENCHES
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        status |= importlib.import_module(f"bench.{name}").main("--quick" in argv)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
