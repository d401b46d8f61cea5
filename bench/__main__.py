"""Run every benchmark: `python -m bench` (add --quick for smaller sizes while developing).

Each prints its figures as medians next to a baseline measured in the same run, and a MET/MISSED
line per goal. The exit status is 0 when every goal was met.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import (
    autocomplete,
    catchup,
    command_latency,
    gateway_burst,
    leaderboard,
    memory,
    scheduler,
    search_quality,
    votes_ingest,
)

QUICK = {
    "votes_ingest": ["--events", "20000", "--repeat", "1"],
    "gateway_burst": ["--reactions", "5000", "--repeat", "1"],
    "autocomplete": ["--queries", "300"],
    "search_quality": [],
    "command_latency": ["--rounds", "1"],
    "memory": ["--guilds", "2000"],
    "leaderboard": ["--votes", "100000", "--reads", "500"],
    "scheduler": ["--servers", "20000", "--ticks", "50"],
    "catchup": ["--picks", "2000", "--channels", "40", "--repeat", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: figures are not the goals' sizes"
    )
    args = parser.parse_args()
    modules = {
        "votes_ingest": votes_ingest,
        "gateway_burst": gateway_burst,
        "autocomplete": autocomplete,
        "search_quality": search_quality,
        "command_latency": command_latency,
        "memory": memory,
        "leaderboard": leaderboard,
        "scheduler": scheduler,
        "catchup": catchup,
    }
    started = time.perf_counter()
    met = {}
    for name, module in modules.items():
        met[name] = module.main(QUICK[name] if args.quick else [])
    print(
        f"\n{sum(met.values())} of {len(met)} benchmarks met every goal in {time.perf_counter() - started:.0f}s"
    )
    for name, ok in met.items():
        if not ok:
            print(f"  missed: {name}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
