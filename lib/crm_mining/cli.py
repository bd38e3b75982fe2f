"""`crm-mining`: one console script, a subcommand per registered stage plus `pipeline`.

The subcommands come from the stage registry (``crm_mining.stages``). Each only parses arguments and
config and calls one library function ``fn(spark, config) -> dict`` (its summary is printed as JSON).
A stage that is not built yet says so and exits 3 without starting Spark.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from crm_mining import CrmMiningError, NotBuiltYet
from crm_mining.config import load_config
from crm_mining.logs import setup_logging
from crm_mining.stages import SIZE, STAGES, Shorthand, Stage, StageFunction

log = logging.getLogger("crm_mining")


def run_pipeline(spark, config) -> dict:
    from crm_mining.pipeline import run_pipeline as run

    return run(spark, config)


def pipeline_text(summary: dict) -> str:
    from crm_mining.pipeline import summary_text

    return summary_text(summary)


# `pipeline` is a door like the stages' but not a stage: it runs them.
PIPELINE = Stage(
    "pipeline",
    "run every built stage end to end, in the registry's order, audited in ops.pipeline_runs",
    run_pipeline,
    shorthands=(
        *SIZE,
        Shorthand("--resume", bool, "pipeline.resume"),
        Shorthand("--quiet", bool, "pipeline.quiet"),
        Shorthand("--retrain", bool, "models.retrain"),
        Shorthand("--refit", bool, "segment.refit"),
    ),
    writes=("ops.pipeline_runs", "ops.stage_runs"),  # stage_runs: every door marks its stage runs
    in_pipeline=False,
    outside_pipeline_because="it runs the others",
)
COMMANDS: dict[str, Stage] = {s.name: s for s in (*STAGES, PIPELINE)}


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
        note = "" if command.built else " (not built yet)"
        cmd = sub.add_parser(
            name, parents=[parent], help=command.help + note, description=command.help + note
        )
        for shorthand in command.shorthands:
            if shorthand.kind is bool:  # a switch: given means true
                cmd.add_argument(
                    shorthand.flag,
                    action="store_true",
                    default=None,
                    dest=shorthand.key,
                    help=f"shorthand for --set {shorthand.key}=true",
                )
            else:
                placeholder = "TEXT" if shorthand.kind is str else "N"
                cmd.add_argument(
                    shorthand.flag,
                    type=shorthand.kind,
                    dest=shorthand.key,
                    metavar=placeholder,
                    help=f"shorthand for --set {shorthand.key}={placeholder}",
                )
    return parser


def shorthands_of(command: str) -> tuple[Shorthand, ...]:
    return COMMANDS[command].shorthands


def shorthand_overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` values are read as YAML: text is quoted (JSON is YAML), so "bad: resent" stays text."""
    return [
        f"{s.key}={json.dumps(value) if s.kind is str else value}"
        for s in shorthands_of(args.command)
        if (value := getattr(args, s.key)) is not None
    ]


def resolve(command: str) -> StageFunction:
    stage = COMMANDS[command]
    if stage.run is None:
        raise NotBuiltYet(f"'crm-mining {command}'", stage.issue)
    return stage.run if stage is PIPELINE else stage.run_marked  # the pipeline marks each of its stages


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        job = resolve(args.command)
        config = load_config(args.conf, args.overrides + shorthand_overrides(args), args.lakehouse)
        from crm_mining.lakehouse_check import check_lakehouse_writable  # imports pyspark: not for --help
        from crm_mining.session import get_spark  # imported late: --help and config errors need no JVM

        check_lakehouse_writable(config)

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
    # The pipeline's summary is long: a person gets a few lines, the JSON is in a file.
    print(
        pipeline_text(summary)
        if args.command == "pipeline"
        else json.dumps(summary or {}, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
