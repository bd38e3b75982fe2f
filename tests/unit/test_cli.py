"""The CLI's parsing, help and errors (no Spark: these paths stop before a session is built)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crm_mining.cli import COMMANDS, build_parser, main, shorthand_overrides
from crm_mining.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name in [
        "generate",
        "ingest",
        "features",
        "lifecycle",
        "rules",
        "segment",
        "train",
        "score",
        "pipeline",
        "report",
    ]:
        assert f"    {name}" in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_explains_itself(name, capsys):
    with pytest.raises(SystemExit):
        main([name, "--help"])
    out = capsys.readouterr().out
    assert COMMANDS[name].help in " ".join(out.split())  # argparse wraps long descriptions
    assert "--set SECTION.KEY=VALUE" in out


@pytest.mark.parametrize("name", [n for n, c in COMMANDS.items() if not c.built])
def test_unbuilt_subcommands_say_so_and_fail(name, capsys):
    assert main([name]) == 3
    assert "not built yet" in capsys.readouterr().err


def test_config_error_stops_before_spark_with_one_line(capsys):
    assert main(["ingest", "--set", "ingest.max_amount=-5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crm-mining ingest: error: 'ingest.max_amount' = -5.0 is out of range")
    assert "Traceback" not in err


def test_shorthands_become_overrides():
    args = build_parser().parse_args(["generate", "--customers", "300", "--months", "6"])
    assert shorthand_overrides(args) == ["generate.customers=300", "generate.months=6"]
    assert shorthand_overrides(build_parser().parse_args(["segment", "--refit"])) == ["segment.refit=True"]
    assert shorthand_overrides(build_parser().parse_args(["segment"])) == []


def test_text_shorthands_stay_text_when_read_as_yaml():
    args = build_parser().parse_args(["ingest", "--skip-file", "/l/x: y.csv", "--reason", "corrupt: resent"])
    overrides = shorthand_overrides(args)
    assert overrides == ['ingest.skip_file="/l/x: y.csv"', 'ingest.skip_reason="corrupt: resent"']
    ingest = load_config(overrides=overrides).ingest
    assert (ingest.skip_file, ingest.skip_reason) == ("/l/x: y.csv", "corrupt: resent")


def test_a_skipped_file_without_a_reason_stops_before_spark(capsys):
    assert main(["ingest", "--skip-file", "/lake/landing/accounts/x.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crm-mining ingest: error: 'ingest.skip_file' needs 'ingest.skip_reason'")


def test_console_script_and_job_scripts_are_thin_entry_points():
    # Every stage is built since `report`; while one is not, its job script must say so and exit 3.
    unbuilt = next((name for name, c in COMMANDS.items() if not c.built), None)
    if unbuilt:
        done = subprocess.run(
            [sys.executable, str(ROOT / "jobs" / f"{unbuilt}.py")], capture_output=True, text=True
        )
        assert done.returncode == 3
        assert "not built yet" in done.stderr
    for job in (ROOT / "jobs").glob("*.py"):
        assert f'main(["{job.stem}", *sys.argv[1:]])' in job.read_text()


def test_unexpected_errors_are_one_line_unless_verbose(monkeypatch, capsys, tmp_path):
    import crm_mining.session

    def broken_session(config, verbose=False):
        raise RuntimeError("gateway exploded\nJava stack line 1\nJava stack line 2")

    monkeypatch.setattr(crm_mining.session, "get_spark", broken_session)
    lakehouse = ["--lakehouse", str(tmp_path / "lakehouse")]
    assert main(["features", *lakehouse]) == 1
    err = capsys.readouterr().err
    assert "crm-mining features: unexpected RuntimeError: gateway exploded\n" in err
    assert "Java stack line" not in err and "--verbose" in err
    with pytest.raises(RuntimeError, match="gateway exploded"):
        main(["features", "--verbose", *lakehouse])


def test_a_lakehouse_that_is_a_file_stops_before_spark_naming_it(tmp_path, capsys):
    lakehouse = tmp_path / "lakehouse.txt"
    lakehouse.write_text("not a folder")
    assert main(["generate", "--lakehouse", str(lakehouse)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"crm-mining generate: error: lakehouse folder {lakehouse} cannot be made: "
        f"{lakehouse} is a file, not a folder"
    )
    assert main(["features", "--lakehouse", str(lakehouse / "inside")]) == 2
    assert f"{lakehouse} is a file, not a folder" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_a_lakehouse_that_cannot_be_written_stops_before_spark_naming_it(capsys):
    # sysfs refuses new folders even to root, whom a chmod would not stop: a real unwritable place.
    assert main(["generate", "--lakehouse", "/sys/crm-mining-lakehouse"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "crm-mining generate: error: lakehouse folder /sys/crm-mining-lakehouse cannot be written: "
    ), err
    assert len(err.splitlines()) == 1
