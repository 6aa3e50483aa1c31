"""Scenario benchmark: a whole program, simulated through the real app, at 300 people (and 40 for reference).

    python bench/bench_scenario.py                  # 40 and 300 people, 200 simulated days, SQLite
    python bench/bench_scenario.py --people 300 --days 200 --seed 11

Each run is the scenario runner (bot/sandbox/scenario.py): the coordinator creates the program, everyone signs up
through the real modal, the round runs on the match date and is published, and every simulated day the outbox
sends what is due and people act on what reached them (signed requests against the sandbox). Prints the wall time,
what went through Slack, and whether every figure the coordinator sees equals the ledger's truth.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.scenario import Scenario, ScenarioConfig  # noqa: E402
from bot.sandbox.truth import (  # noqa: E402
    behaviour_mismatches,
    expected_figures,
    export_mismatches,
    finalise,
    prompts_to_held_pairs,
    read_stats,
    stats_mismatches,
)


def run(people: int, days: int, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    with Scenario(ScenarioConfig(people=people, days=days, seed=seed)) as scenario:
        scenario.run()
        simulated = time.perf_counter() - started
        view = scenario.coordinator_view()
        finalise(scenario.ledger)
        now = scenario.clock()
        truth = expected_figures(scenario.ledger, now)
        problems = (
            stats_mismatches(read_stats(view.stats_text), truth)
            + export_mismatches(view.export_rows, scenario.ledger, now)
            + behaviour_mismatches(scenario.ledger, view.export_rows, now)
            + prompts_to_held_pairs(scenario.ledger)
            + scenario.ledger.problems
        )
        requests = len(scenario.ledger.events)
        return {
            "people": people,
            "pairs": len(scenario.ledger.pairs),
            "meetings": truth.meetings,
            "check-ins": truth.checkins_sent,
            "web api calls": len(scenario.sandbox.calls),
            "actions": requests,
            "seconds": simulated,
            "total seconds": time.perf_counter() - started,
            "figures equal the truth": not problems,
            "problems": problems[:5],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="*", default=[40, 300])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"scenario benchmark: {args.days} simulated days, seed {args.seed}, load average {load:.1f} at the start")
    print("| people | pairs | meetings | check-ins | Web API calls | people's actions | wall s | figures = truth |")
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for people in args.people:
        result = run(people, args.days, args.seed)
        results.append(result)
        print(
            f"| {people} | {result['pairs']} | {result['meetings']} | {result['check-ins']} | "
            f"{result['web api calls']:,} | {result['actions']:,} | {result['seconds']:.1f} | "
            f"{'yes' if result['figures equal the truth'] else 'NO: ' + '; '.join(result['problems'])} |",  # type: ignore[arg-type]
            flush=True,
        )
    if len(results) > 1:
        base = results[0]
        for other in results[1:]:
            ratio = float(other["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
            print(f"{other['people']} people took {ratio:.1f}x the time of {base['people']} (same machine, same run)")
    return 0 if all(r["figures equal the truth"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
