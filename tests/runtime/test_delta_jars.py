"""Delta jar resolution paths, each in a fresh JVM: offline folder, Maven fallback, clear failure."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crm_mining.config.runtime import SparkSettings
from crm_mining.jars import delta_coordinate, resolve_with_maven

pytestmark = pytest.mark.slow

DELTA_ROUND_TRIP = textwrap.dedent(
    """
    import sys
    from crm_mining.config import load_config
    from crm_mining.session import get_spark
    from crm_mining.tables import Lake
    config = load_config(overrides=sys.argv[2:], lakehouse=sys.argv[1])
    spark = get_spark(config)
    lake = Lake(config)
    lake.write(spark.range(7).withColumnRenamed("id", "customer_id"), "gold.lifecycle_actions")
    print("ROWS", lake.read(spark, "gold.lifecycle_actions").count())
    print("JARS", spark.sparkContext.getConf().get("spark.jars", ""))
    print("PACKAGES", spark.sparkContext.getConf().get("spark.jars.packages", ""))
    """
)


def run_round_trip(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    script = tmp_path / "round_trip.py"
    script.write_text(DELTA_ROUND_TRIP)
    args = [sys.executable, str(script), str(tmp_path / "lake"), "spark.master=local[1]", *overrides]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def printed_values(stdout: str) -> dict[str, str]:
    return {key: value for key, _, value in (line.partition(" ") for line in stdout.splitlines())}


def test_offline_jars_dir_needs_no_ivy(spark, tmp_path):
    resolved = [j.removeprefix("file:") for j in spark.sparkContext.getConf().get("spark.jars").split(",")]
    offline = tmp_path / "jars"
    offline.mkdir()
    for jar in resolved:
        shutil.copy(jar, offline)
    empty_ivy = tmp_path / "no-ivy"
    done = run_round_trip(tmp_path, f"spark.jars_dir={offline}", f"spark.ivy_dir={empty_ivy}")
    assert done.returncode == 0, done.stderr[-3000:]
    printed = printed_values(done.stdout)
    assert printed["ROWS"] == "7"
    assert printed["PACKAGES"] == ""
    assert str(offline) in printed["JARS"]
    assert not empty_ivy.exists()


def test_maven_fallback_resolves_the_same_coordinate(tmp_path):
    if not shutil.which("mvn"):
        pytest.skip("mvn is not installed on this machine")
    coordinate = delta_coordinate(SparkSettings().delta_version)
    jars = resolve_with_maven(coordinate, tmp_path / "maven-jars")
    names = {Path(j).name for j in jars}
    artifact, version = coordinate.split(":")[1:]
    assert f"{artifact}-{version}.jar" in names
    assert any(name.startswith("delta-storage-") for name in names)
    done = run_round_trip(tmp_path, f"spark.jars_dir={tmp_path / 'maven-jars'}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ROWS 7" in done.stdout


def test_unresolvable_delta_says_what_failed_and_how_to_fix(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_mining.cli",
            "features",
            "--lakehouse",
            str(tmp_path),
            "--set",
            "spark.delta_version=0.0.404",
            "--set",
            f"spark.ivy_dir={tmp_path / 'ivy'}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    last = done.stderr[done.stderr.index("crm-mining features: error:") :]
    assert "Could not load Delta's jars (io.delta:delta-spark_4.2_2.13:0.0.404)" in last
    assert "Maven could not resolve" in last
    assert "spark.jars_dir" in last
    assert "Traceback" not in done.stderr
