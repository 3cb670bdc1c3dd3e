"""`python -m bench [name ...] [--quick]`: run the benchmarks (all by default)."""

from __future__ import annotations

import importlib
import subprocess
import sys

BENCHES = ["simulator", "failover", "probes", "dashboard", "exporter", "stores"]


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or BENCHES
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    if len(names) == 1:
        return importlib.import_module(f"bench.{names[0]}").main("--quick" in argv)
    status = 0
    for name in names:
        # each in its own process: what one bench imports, starts or leaves behind (LiteLLM, event
        # loops, caches) must not weigh on the next one's numbers
        options = [a for a in argv if a.startswith("-")]
        status |= subprocess.run([sys.executable, "-m", "bench", name, *options], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
