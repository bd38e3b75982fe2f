"""Delta's JVM jars: the Maven coordinate, the offline folder and the Maven fallback.

Order of resolution for a local session:
1. ``spark.jars_dir`` set: every jar in that folder goes on ``spark.jars``; nothing is downloaded.
2. Otherwise Spark's Ivy resolves the coordinate from Maven Central (cached in the Ivy folder).
3. If Ivy fails and ``mvn`` is on PATH, Maven resolves the same coordinate into a cache folder
   (Maven honours mirrors and proxies in its settings.xml), and that folder is used as in 1.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyspark

from crm_mining import CrmMiningError

log = logging.getLogger(__name__)

SCALA_VERSION = "2.13"


class DeltaJarsError(CrmMiningError):
    """Delta's jars could not be resolved; the message says what failed and how to fix it."""


def delta_coordinate(delta_version: str) -> str:
    """Maven coordinate of Delta for the installed pyspark, e.g. io.delta:delta-spark_4.2_2.13:4.4.0."""
    spark_major_minor = ".".join(pyspark.__version__.split(".")[:2])
    return f"io.delta:delta-spark_{spark_major_minor}_{SCALA_VERSION}:{delta_version}"


def jars_in(folder: str | Path) -> list[str]:
    """Absolute paths of the jars in ``folder``; raises if it has none."""
    path = Path(folder).expanduser()
    jars = sorted(str(p.resolve()) for p in path.glob("*.jar"))
    if not jars:
        raise DeltaJarsError(
            f"spark.jars_dir={folder} holds no .jar files. Put Delta's jars there "
            f"(see README 'Offline Delta jars') or unset spark.jars_dir to resolve them with Ivy."
        )
    return jars


def cache_dir() -> Path:
    return Path(os.environ.get("CRM_MINING_CACHE", Path.home() / ".cache" / "crm-mining"))


def maven_cache_dir(coordinate: str) -> Path:
    return cache_dir() / "jars" / coordinate.replace(":", "_")


def resolution_record(coordinate: str, ivy_dir: str | None) -> Path:
    """Where the jar list of one Ivy resolution (coordinate, Ivy folder) is remembered."""
    key = hashlib.sha256(f"{coordinate}|{ivy_dir or ''}".encode()).hexdigest()[:12]
    return cache_dir() / "resolved" / f"{coordinate.replace(':', '_')}-{key}.txt"


def remembered_jars(coordinate: str, ivy_dir: str | None) -> list[str] | None:
    """The jars an earlier Ivy resolution of ``coordinate`` found, if every one of them is still there.

    Reusing them skips Ivy: no resolution report on every run, and a faster start.
    """
    record = resolution_record(coordinate, ivy_dir)
    if not record.is_file():
        return None
    jars = [line for line in record.read_text().splitlines() if line]
    return jars if jars and all(Path(j).is_file() for j in jars) else None


def remember_jars(coordinate: str, ivy_dir: str | None, spark_jars: str) -> None:
    """Record the jars Ivy resolved (``spark.jars`` of the session it started, as file URIs)."""
    jars = [unquote(urlparse(j).path) if j.startswith("file:") else j for j in spark_jars.split(",") if j]
    if jars and any("delta-spark" in Path(j).name for j in jars):
        record = resolution_record(coordinate, ivy_dir)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text("\n".join(jars) + "\n")


POM_TEMPLATE = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>crm-mining</groupId><artifactId>delta-jars</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{version}</version></dependency>
  </dependencies>
</project>
"""


def resolve_with_maven(coordinate: str, target: Path | None = None) -> list[str]:
    """Copy ``coordinate`` and its runtime dependencies into ``target`` with Maven; return the jars.

    Jars that pyspark already ships (Spark, Scala, Hadoop) are excluded by Maven's scope
    rules only partly, so we drop any jar whose file name pyspark already has.
    """
    mvn = shutil.which("mvn")
    if not mvn:
        raise DeltaJarsError("Maven ('mvn') is not on PATH, so the Maven fallback cannot run.")
    target = target or maven_cache_dir(coordinate)
    if target.is_dir() and any(target.glob("*.jar")):
        return jars_in(target)
    group, artifact, version = coordinate.split(":")
    with tempfile.TemporaryDirectory() as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(POM_TEMPLATE.format(group=group, artifact=artifact, version=version))
        staging = Path(work) / "jars"
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        log.info("resolving %s with Maven into %s", coordinate, target)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
            raise DeltaJarsError(f"Maven could not resolve {coordinate}: " + " | ".join(tail))
        target.mkdir(parents=True, exist_ok=True)
        shipped = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
        for jar in staging.glob("*.jar"):
            if jar.name not in shipped:
                shutil.copy2(jar, target / jar.name)
    return jars_in(target)


def unresolved_message(coordinate: str, reason: str) -> str:
    return (
        f"Could not load Delta's jars ({coordinate}). Spark's Ivy could not resolve them "
        f"(its report is printed above), and {reason}\n"
        "Fix one of:\n"
        "  - let this machine reach Maven Central (or a mirror in ~/.m2/settings.xml, used by the Maven fallback);\n"
        "  - put Delta's jars in a folder and set spark.jars_dir=/that/folder "
        "(or CRM_MINING_JARS_DIR), see README 'Offline Delta jars';\n"
        "  - choose a published version with --set spark.delta_version=X.Y.Z."
    )
