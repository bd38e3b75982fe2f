"""Where CI's worker time goes: per test module, from the log of one `make test` run with every duration.

    CI=true ARGS='--durations=0 -v' bash .ci/run > ci.log 2>&1
    .venv/bin/python scripts/ci_profile.py ci.log --label "$(git rev-parse --short HEAD)"

Reads pytest's "slowest durations" section (setup, call and teardown seconds of every test) and the
``-v`` lines (which pytest-xdist worker ran each test), and writes scripts/results/ci_profile.md and
.json: seconds per module (setup included, which is where the shared lakes are built), per worker, and
the wall time. CI runs two workers on two cores, so the suite's wall time is about half the summed
worker seconds when the workers are balanced: a module's seconds / 2 is what removing it would save.

With ``--before OLD.log --before-label TEXT``, each module's seconds are shown beside those of another run
(e.g. the same suite before a change, run just before on the same machine) with their ratio.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)")
WORKER = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] (?:PASSED|FAILED|ERROR|SKIPPED) (\S+)")
SUMMARY = re.compile(r"=+ (.*) in ([\d.]+)s")


def test_id(node: str) -> str:
    return node.split("@")[0]  # pytest-xdist's "@group" suffix


def profile(log: str) -> dict:
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if "slowest durations" in line)
    per_test: Counter = Counter()
    for line in lines[start + 1 :]:
        if match := DURATION.match(line):
            per_test[test_id(match.group(3))] += float(match.group(1))
    worker_of = {test_id(m.group(2)): m.group(1) for m in map(WORKER.match, lines) if m}
    modules: Counter = Counter()
    workers: Counter = Counter()
    for test, seconds in per_test.items():
        modules[test.split("::")[0]] += seconds
        workers[worker_of.get(test, "unknown")] += seconds
    summary = next((m for m in map(SUMMARY.search, reversed(lines)) if m), None)
    return {
        "result": summary.group(1) if summary else None,
        "wall_seconds": float(summary.group(2)) if summary else None,
        "worker_seconds": round(sum(per_test.values()), 1),
        "per_worker": {w: round(s, 1) for w, s in sorted(workers.items())},
        "per_module": {m: round(s, 1) for m, s in modules.most_common()},
        "slowest": {t: round(s, 1) for t, s in per_test.most_common(15)},
    }


def module_rows(result: dict) -> list[str]:
    total = result["worker_seconds"]
    before = result.get("before")
    rows = []
    for module, seconds in result["per_module"].items():
        old = before["per_module"].get(module, 0.0) if before else 0.0
        if max(seconds, old) < 10:
            continue
        row = f"| {module} | {seconds:,.0f} | {100 * seconds / total:.1f}% |"
        if before:
            row += f" {old:,.0f} | {old / seconds:.2f} |" if seconds else f" {old:,.0f} | – |"
        rows.append(row)
    return rows


def run_line(result: dict) -> str:
    workers = ", ".join(f"{w} {s:,.0f} s" for w, s in result["per_worker"].items())
    return (
        f"{result['result']}, {result['wall_seconds']:,.0f} s of tests (wall); "
        f"{result['worker_seconds']:,.0f} worker-seconds ({workers})"
    )


def markdown(result: dict, label: str, notes: str) -> str:
    before = result.get("before")
    header = "| module (setup + call + teardown) | worker-seconds | share |"
    rule = "|---|---:|---:|"
    compared = []
    if before:
        header += f" before: {before['label']} | before / now |"
        rule += "---:|---:|"
        compared = [f"Before ({before['label']}): {run_line(before)}.", ""]
    slowest = [f"| {test} | {seconds:,.0f} |" for test, seconds in result["slowest"].items()]
    return "\n".join(
        [
            f"# CI profile: {label}",
            "",
            f"`make test` on a fresh clone: {run_line(result)}.",
            "",
            *compared,
            notes,
            "",
            header,
            rule,
            *module_rows(result),
            "",
            "Slowest tests (setup + call + teardown; a setup builds the module's or the run's shared lake):",
            "",
            "| test | seconds |",
            "|---|---:|",
            *slowest,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="output of `make test` with ARGS='--durations=0 -v'")
    parser.add_argument("--label", default="main", help="what was run, e.g. the commit")
    parser.add_argument("--notes", default="", help="load and machine notes for the result file")
    parser.add_argument("--before", type=Path, help="another run's log, shown beside this one per module")
    parser.add_argument("--before-label", default="before", help="what the other run was")
    args = parser.parse_args()
    result = profile(args.log.read_text(errors="replace")) | {"label": args.label, "notes": args.notes}
    if args.before:
        result["before"] = profile(args.before.read_text(errors="replace")) | {"label": args.before_label}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ci_profile.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "ci_profile.md").write_text(markdown(result, args.label, args.notes))
    print((RESULTS / "ci_profile.md").read_text())


if __name__ == "__main__":
    main()
