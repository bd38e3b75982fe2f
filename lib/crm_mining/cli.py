"""`crm-mining`: one console script, a subcommand per job.

Each subcommand only parses arguments and config and calls one library function
``fn(spark, config) -> dict`` (its summary is printed as JSON). Subcommands whose issue
has not landed say so and exit 3 without starting Spark.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from dataclasses import dataclass

from crm_mining import CrmMiningError, NotBuiltYet
from crm_mining.config import load_config
from crm_mining.logs import setup_logging

log = logging.getLogger("crm_mining")


@dataclass(frozen=True)
class Command:
    help: str
    target: str | None  # "module:function", or None while not built
    issue: str = ""


COMMANDS: dict[str, Command] = {
    "generate": Command(
        "write a synthetic bank lake (landing files + ground truth)", "crm_mining.generate:generate_lake"
    ),
    "ingest": Command(
        "landing -> bronze -> silver Delta tables, with quarantine and audit", "crm_mining.ingest:ingest_lake"
    ),
    "features": Command(
        "customer 360 features, labels and RFM per snapshot", "crm_mining.features:build_features"
    ),
    "lifecycle": Command(
        "lifecycle stages, SCD2 history, transitions, actions and customer value",
        "crm_mining.lifecycle:build_lifecycle",
    ),
    "rules": Command("FPGrowth cross-sell rules and next-best-offer", None, "cross-sell"),
    "segment": Command("KMeans customer segments with profiles", None, "segmentation"),
    "train": Command("train churn and credit-risk models", None, "models"),
    "score": Command("batch-score customers with reasons", None, "models"),
    "pipeline": Command("run every built stage end to end", "crm_mining.pipeline:run_pipeline"),
    "report": Command("HTML report of the mining results", None, "pipeline and report"),
}

# Subcommand flags that are shorthands for config keys.
SHORTHANDS = {
    "generate": [
        ("--customers", int, "generate.customers"),
        ("--months", int, "generate.months"),
        ("--seed", int, "generate.seed"),
    ],
    "pipeline": [
        ("--customers", int, "generate.customers"),
        ("--months", int, "generate.months"),
        ("--seed", int, "generate.seed"),
    ],
    "features": [("--snapshot-count", int, "features.snapshot_count")],
}


def common_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--conf", metavar="YAML", help="config file (default: built-in local config = conf/local.yaml)"
    )
    parent.add_argument("--lakehouse", metavar="DIR", help="lake root folder (overrides lake.root)")
    parent.add_argument(
        "--set",
        dest="overrides",
        metavar="SECTION.KEY=VALUE",
        action="append",
        default=[],
        help="override one config key; repeatable (value read as YAML)",
    )
    parent.add_argument("-v", "--verbose", action="store_true", help="log more, including Spark's INFO logs")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-mining",
        description="Customer relationship mining for banks on PySpark and Delta Lake.",
        epilog="Run 'crm-mining <command> --help' for a command's options. Config keys: see README.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    parent = common_options()
    for name, command in COMMANDS.items():
        note = "" if command.target else " (not built yet)"
        cmd = sub.add_parser(
            name, parents=[parent], help=command.help + note, description=command.help + note
        )
        for flag, kind, key in SHORTHANDS.get(name, []):
            cmd.add_argument(flag, type=kind, dest=key, help=f"shorthand for --set {key}=N")
    return parser


def shorthand_overrides(args: argparse.Namespace) -> list[str]:
    return [
        f"{key}={getattr(args, key)}"
        for _, _, key in SHORTHANDS.get(args.command, [])
        if getattr(args, key) is not None
    ]


def resolve(command: str):
    spec = COMMANDS[command]
    if spec.target is None:
        raise NotBuiltYet(f"'crm-mining {command}'", spec.issue)
    module, function = spec.target.split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        job = resolve(args.command)
        config = load_config(args.conf, args.overrides + shorthand_overrides(args), args.lakehouse)
        from crm_mining.session import get_spark  # imported late: --help and config errors need no JVM

        spark = get_spark(config, verbose=args.verbose)
        summary = job(spark, config)
    except NotBuiltYet as exc:
        print(f"crm-mining {args.command}: {exc}", file=sys.stderr)
        return 3
    except CrmMiningError as exc:
        print(f"crm-mining {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug or an environment failure: one line, the traceback with --verbose
        if args.verbose:
            raise
        first_line = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"crm-mining {args.command}: unexpected {type(exc).__name__}: {first_line}\n"
            f"  (run again with --verbose for the traceback)",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(summary or {}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
